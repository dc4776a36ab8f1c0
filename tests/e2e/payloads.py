"""JSON payloads shaped like Discord's API v10 objects, for the loopback server.

Only the fields discord.py reads (and a few that real Discord always sends) are
filled in. Everything is plain dicts so the server can serialise them as-is.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from dataclasses import dataclass

DISCORD_EPOCH_MS = 1420070400000

# Gateway intents (https://discord.com/developers/docs/topics/gateway#gateway-intents)
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15

# Permission bits used for the @everyone role of the test guild.
PERM_VIEW_CHANNEL = 1 << 10
PERM_SEND_MESSAGES = 1 << 11
PERM_EMBED_LINKS = 1 << 14
PERM_READ_MESSAGE_HISTORY = 1 << 16
PERM_ADD_REACTIONS = 1 << 6
PERM_USE_APPLICATION_COMMANDS = 1 << 31
PERM_CREATE_PUBLIC_THREADS = 1 << 35
PERM_SEND_MESSAGES_IN_THREADS = 1 << 38
EVERYONE_PERMISSIONS = (  # Discord's defaults for @everyone include the two thread permissions
    PERM_CREATE_PUBLIC_THREADS
    | PERM_SEND_MESSAGES_IN_THREADS
    | PERM_VIEW_CHANNEL
    | PERM_SEND_MESSAGES
    | PERM_EMBED_LINKS
    | PERM_READ_MESSAGE_HISTORY
    | PERM_ADD_REACTIONS
    | PERM_USE_APPLICATION_COMMANDS
)


class Snowflakes:
    """Monotonic snowflakes whose timestamps are the real current time."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._counter) & 0x3FFFFF)


def iso_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def user(user_id: int, name: str, *, bot: bool = False) -> dict:
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
    }


def member(user_payload: dict, *, roles: tuple[int, ...] = ()) -> dict:
    return {
        "user": user_payload,
        "nick": None,
        "avatar": None,
        "roles": [str(r) for r in roles],
        "joined_at": iso_now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
    }


def text_channel(channel_id: int, guild_id: int, name: str = "general", position: int = 0) -> dict:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
    }


def role(role_id: int, name: str, permissions: int) -> dict:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": 0,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


@dataclass(frozen=True)
class World:
    """The ids of the one guild, its channels and the bot, shared by server and tests."""

    guild_id: int
    channel_id: int
    other_channel_id: int
    bot_user_id: int
    application_id: int
    owner_id: int
    bot_name: str = "citebot"

    def bot_user(self) -> dict:
        return user(self.bot_user_id, self.bot_name, bot=True)

    def guild_create(self, members: list[dict], *, roles: list[dict] | None = None,
                     overwrites: dict[int, list[dict]] | None = None) -> dict:
        overwrites = overwrites or {}
        channels = [
            text_channel(self.channel_id, self.guild_id, "general", 0),
            text_channel(self.other_channel_id, self.guild_id, "off-topic", 1),
        ]
        for channel in channels:
            channel["permission_overwrites"] = overwrites.get(int(channel["id"]), [])
        return {
            "id": str(self.guild_id),
            "name": "e2e guild",
            "icon": None,
            "owner_id": str(self.owner_id),
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles if roles is not None else [role(self.guild_id, "@everyone", EVERYONE_PERMISSIONS)],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "nsfw_level": 0,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(members),
            "members": members,
            "channels": channels,
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


def message(
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: dict,
    content: str,
    *,
    mentions: list[dict] = (),
    author_member: dict | None = None,
    embeds: list[dict] = (),
    components: list[dict] = (),
    message_reference: dict | None = None,
    flags: int = 0,
    interaction_metadata: dict | None = None,
    webhook_id: int | None = None,
) -> dict:
    data = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": [],
        "embeds": list(embeds),
        "components": list(components),
        "pinned": False,
        "type": 19 if message_reference else 0,
        "flags": flags,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if author_member is not None:
        data["member"] = {k: v for k, v in author_member.items() if k != "user"}
    if message_reference is not None:
        data["message_reference"] = message_reference
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    return data


def application_info(world: World) -> dict:
    return {
        "id": str(world.application_id),
        "name": world.bot_name,
        "icon": None,
        "description": "citebot under end-to-end test",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(world.owner_id, "owner"),
        "summary": "",
        "verify_key": "0" * 64,
        "team": None,
        "flags": 1 << 19,  # GATEWAY_MESSAGE_CONTENT_LIMITED
        "interactions_endpoint_url": None,
        "bot": world.bot_user(),
    }
