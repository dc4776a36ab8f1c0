"""What the bot may do in a channel before it types or sends (Discord asks bots to avoid 403s).

:func:`reply_plan` is pure: effective permissions (and the thread's state) in,
a :class:`ReplyPlan` out. :func:`plan_for_channel` reads them from discord.py's
cache (``channel.permissions_for(guild.me)``, which applies roles, channel
overwrites and a thread's parent). :class:`MissingPermissionLog` keeps the log
to one line per channel per hour, so a raided read-only channel cannot flood it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord

log = logging.getLogger(__name__)

# Discord's names for the permissions, as a server admin sees them in the channel settings.
LABELS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "manage_threads": "Manage Threads",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
}


@dataclass(frozen=True)
class ReplyPlan:
    """How to answer in a channel: whether to send at all, with embeds, as a reply (reference)."""

    send: bool = True
    embeds: bool = True
    reference: bool = True
    missing: tuple[str, ...] = ()  # permission labels (or a reason) that block sending or degrade the reply

    @property
    def degraded(self) -> bool:
        return self.send and not (self.embeds and self.reference)


EVERYTHING = ReplyPlan()


def reply_plan(perms: discord.Permissions, *, thread: bool = False, locked: bool = False,
               archived: bool = False) -> ReplyPlan:
    """The reply the bot can make with ``perms`` (already resolved for the channel or thread).

    In a thread, Send Messages in Threads is what counts; a locked thread needs
    Manage Threads to post (and to reopen it when it is also archived).
    An archived, unlocked thread reopens when the bot posts, which needs
    only the right to send there.
    """
    if not perms.view_channel:
        return ReplyPlan(send=False, embeds=False, reference=False, missing=(LABELS["view_channel"],))
    send_flag = "send_messages_in_threads" if thread else "send_messages"
    if not getattr(perms, send_flag):
        return ReplyPlan(send=False, embeds=False, reference=False, missing=(LABELS[send_flag],))
    if thread and locked and not perms.manage_threads:
        reason = "Manage Threads (the thread is locked" + (" and archived)" if archived else ")")
        return ReplyPlan(send=False, embeds=False, reference=False, missing=(reason,))
    missing = []
    if not perms.embed_links:
        missing.append(LABELS["embed_links"])
    if not perms.read_message_history:
        missing.append(LABELS["read_message_history"])
    return ReplyPlan(send=True, embeds=perms.embed_links, reference=perms.read_message_history,
                     missing=tuple(missing))


def plan_for_channel(channel: Any) -> ReplyPlan:
    """The plan for a message's channel; DMs (and channels outside the cache) allow everything.

    Outside the cache there is nothing to check; the send then proceeds as
    before and a refusal is logged (never answered by another request).
    """
    guild = getattr(channel, "guild", None)
    if guild is None or not isinstance(channel, (discord.abc.GuildChannel, discord.Thread)):
        return EVERYTHING
    me = guild.me
    if me is None:
        return EVERYTHING
    try:
        perms = channel.permissions_for(me)
    except discord.ClientException:  # a thread whose parent is not cached
        return EVERYTHING
    if isinstance(channel, discord.Thread):
        return reply_plan(perms, thread=True, locked=bool(channel.locked), archived=bool(channel.archived))
    return reply_plan(perms)


class MissingPermissionLog:
    """Logs why the bot cannot (fully) answer in a channel: one line per channel per ``period`` seconds."""

    def __init__(self, period: float = 3600.0, clock: Callable[[], float] = time.monotonic):
        self.period = period
        self._clock = clock
        self._last: dict[tuple[int, bool], float] = {}

    def report(self, channel: Any, plan: ReplyPlan) -> bool:
        """Log ``plan``'s missing permissions for ``channel`` unless logged within the period; True if logged."""
        if not plan.missing:
            return False
        now = self._clock()
        key = (getattr(channel, "id", 0), plan.send)
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            return False
        if len(self._last) > 10_000:  # bounded: forget lines older than the period
            self._last = {k: t for k, t in self._last.items() if now - t < self.period}
        self._last[key] = now
        guild = getattr(channel, "guild", None)
        where = (f"server {getattr(guild, 'name', '?')!r} ({getattr(guild, 'id', '?')}) channel "
                 f"#{getattr(channel, 'name', '?')} ({getattr(channel, 'id', '?')})")
        missing = ", ".join(plan.missing)
        if plan.send:
            log.info("answering without %s in %s: missing %s", _what(plan), where, missing)
        else:
            log.warning("not answering in %s: missing %s", where, missing)
        return True


def _what(plan: ReplyPlan) -> str:
    parts = [name for name, ok in (("embeds", plan.embeds), ("a reply reference", plan.reference)) if not ok]
    return " and ".join(parts)
