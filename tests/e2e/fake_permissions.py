"""Discord's permission arithmetic for the loopback server: base role permissions, then channel overwrites
(@everyone, roles, member), with Discord's implicit rules (Administrator, no View Channel, no Send Messages).
https://discord.com/developers/docs/topics/permissions#permission-overwrites"""

from __future__ import annotations

from . import payloads as P

ADMINISTRATOR = 1 << 3
ALL = (1 << 53) - 1
# Permissions that mean nothing without Send Messages (Discord strips them implicitly).
NEEDS_SEND = P.PERM_EMBED_LINKS | (1 << 15) | (1 << 17) | (1 << 12)  # embed, attach, mention everyone, tts


def effective(roles: dict[int, int], everyone_id: int, member_roles: list[int], member_id: int,
              overwrites: list[dict]) -> int:
    """The member's permissions in a channel (``roles``: role id -> permission bits)."""
    base = roles.get(everyone_id, 0)
    for role_id in member_roles:
        base |= roles.get(role_id, 0)
    if base & ADMINISTRATOR:
        return ALL
    by_id = {int(o["id"]): o for o in overwrites}
    everyone = by_id.get(everyone_id)
    if everyone:
        base = (base & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in member_roles:
        if role_id in by_id:
            allow |= int(by_id[role_id]["allow"])
            deny |= int(by_id[role_id]["deny"])
    base = (base & ~deny) | allow
    member = by_id.get(member_id)
    if member:
        base = (base & ~int(member["deny"])) | int(member["allow"])
    if not base & P.PERM_VIEW_CHANNEL:
        return 0
    if not base & P.PERM_SEND_MESSAGES:
        base &= ~NEEDS_SEND
    return base
