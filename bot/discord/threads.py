"""Threads: opening an answer thread for a question, and posting or editing where Discord allows it.

- ``answer_in_thread``: a question asked in a text channel gets a public thread
  created from the question message, named after the question; without the
  permission to create threads (or when Discord refuses), the answer goes inline.
- (A locked thread the bot may not manage gets no reply: permissions.py's reply plan.)
- Editing or deleting an answer in an archived thread fails with Discord error
  50083; the bot reopens a thread it owns and retries once, else lets it be.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.followup import shorten

log = logging.getLogger(__name__)

THREAD_NAME_LIMIT = 100  # Discord's limit for channel names
THREAD_ARCHIVED = 50083  # "Thread is archived"
AUTO_ARCHIVE_MINUTES = 1440


def thread_name(question: str) -> str:
    """A thread name from the question: one line, at most 100 characters, never empty."""
    name = shorten(question.replace("\n", " "), THREAD_NAME_LIMIT)
    return name or "question"


def _my_permissions(channel: Any) -> discord.Permissions | None:
    guild = getattr(channel, "guild", None)
    me = getattr(guild, "me", None) if guild is not None else None
    if me is None:
        return None
    try:
        return channel.permissions_for(me)
    except (AttributeError, TypeError):  # a partial channel: let Discord decide
        return None


def can_open_thread(channel: Any) -> bool:
    """Whether an answer thread may be opened on a question in ``channel`` (a plain text channel)."""
    if not isinstance(channel, discord.TextChannel):
        return False
    perms = _my_permissions(channel)
    return perms is None or (perms.create_public_threads and perms.send_messages_in_threads)


async def open_answer_thread(message: discord.Message, question: str) -> discord.Thread | None:
    """A public thread on ``message`` named after the question, or None (answer inline then)."""
    if not can_open_thread(message.channel):
        log.debug("no permission to create threads in channel %s; answering inline", message.channel.id)
        return None
    try:
        return await message.create_thread(name=thread_name(question), auto_archive_duration=AUTO_ARCHIVE_MINUTES)
    except discord.HTTPException as exc:  # Forbidden, a thread already on that message, …
        log.info("could not create a thread on message %s (%s); answering inline", message.id, exc)
        return None


async def in_open_thread(client: discord.Client, channel_id: int, action: Callable[[], Awaitable[Any]],
                         what: str) -> bool:
    """Run ``action`` (an edit or delete in ``channel_id``); reopen an archived thread the bot owns once.

    Returns whether it succeeded. A message already gone, or a channel the bot
    may no longer touch, is logged at DEBUG: no error spam.
    """
    try:
        await action()
        return True
    except discord.NotFound:
        log.debug("%s: the message is already gone", what)
        return False
    except discord.HTTPException as exc:
        if exc.code != THREAD_ARCHIVED:
            log.info("%s failed: %s", what, exc)
            return False
    thread = client.get_channel(channel_id)
    me = client.user
    may_reopen = isinstance(thread, discord.Thread) and me is not None and (
        _can_manage(thread) or (thread.owner_id == me.id and not thread.locked))
    if not may_reopen:
        log.debug("%s: thread %s is archived and the bot may not reopen it", what, channel_id)
        return False
    try:
        await thread.edit(archived=False)
        await action()
        return True
    except discord.HTTPException as exc:
        log.debug("%s in archived thread %s failed: %s", what, channel_id, exc)
        return False


def _can_manage(thread: discord.Thread) -> bool:
    perms = _my_permissions(thread)
    return bool(perms and perms.manage_threads)
