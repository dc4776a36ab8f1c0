"""Fakes for conversations: threads, replies to the bot's answers, history, raw edit/delete events.

Built on tests/fakes.py (autospecced from discord.py's real types).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest.mock import create_autospec

import discord

from bot.discord.render import escape
from tests.fakes import BOT_ID, BOT_PERMISSIONS, _ids, make_bot_user, make_guild, make_message, make_sent_message

NOW = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.timezone.utc)


def history_of(channel: Any, messages: list[Any]) -> None:
    """``channel.history(...)`` yields ``messages`` (give them newest first, as Discord does)."""

    def history(*args: Any, **kwargs: Any) -> Any:
        async def gen():
            for m in messages:
                yield m
        return gen()

    channel.history.side_effect = history


def set_permissions(channel: Any, **perms: bool) -> None:
    """The bot's permissions in ``channel``: the invite's (BOT_PERMISSIONS) plus ``perms``."""
    granted = discord.Permissions(BOT_PERMISSIONS.value)
    granted.update(**perms)
    channel.permissions_for.return_value = granted


def make_thread(*, guild: Any = None, owner_id: int = BOT_ID, parent_id: int = 700_000_000_000_000_009,
                name: str = "a question", locked: bool = False, archived: bool = False,
                thread_id: int | None = None) -> Any:
    thread = create_autospec(discord.Thread, instance=True)
    thread.id = thread_id or next(_ids)
    thread.guild = guild or make_guild()
    thread.owner_id = owner_id
    thread.parent_id = parent_id
    thread.name = name
    thread.locked = locked
    thread.archived = archived
    thread.send.side_effect = lambda *a, **k: make_sent_message(thread)
    history_of(thread, [])
    set_permissions(thread)
    if hasattr(thread.guild, "channels_by_id"):
        thread.guild.channels_by_id[thread.id] = thread
    return thread


def make_reference(target: Any, *, resolved: bool = True) -> Any:
    """A reply's ``message_reference``: resolved (delivered in the gateway payload) or only an id."""
    ref = create_autospec(discord.MessageReference, instance=True)
    ref.message_id = target.id
    ref.resolved = target if resolved else None
    ref.cached_message = None
    return ref


def make_answer(question: str, channel: Any, *, replying_to: Any = None, created_at: dt.datetime = NOW) -> Any:
    """One of citebot's answer messages: its embed title holds the (escaped) question."""
    answer = create_autospec(discord.Message, instance=True)
    answer.id = next(_ids)
    answer.author = make_bot_user()
    answer.channel = channel
    answer.embeds = [discord.Embed(title=escape(question), description="…")]
    answer.reference = make_reference(replying_to) if replying_to is not None else None
    answer.created_at = created_at
    return answer


def make_reply(text: str, to: Any, *, author: Any = None, resolved: bool = True, ping: bool = True,
               channel: Any = None, guild: Any = "default") -> Any:
    """A user's reply to ``to``; a reply pings the replied-to author by default (the bot in ``mentions``)."""
    mentions = [make_bot_user()] if ping else []
    message = make_message(text, author=author, channel=channel or to.channel, guild=guild, mentions=mentions)
    message.reference = make_reference(to, resolved=resolved)
    message.created_at = NOW
    return message


def raw_update(message: Any) -> Any:
    payload = create_autospec(discord.RawMessageUpdateEvent, instance=True)
    payload.message_id = message.id
    payload.channel_id = message.channel.id
    payload.message = message
    payload.data = {"id": str(message.id), "content": message.content}
    return payload


def _edited(channel: Any, message_id: int) -> Any:
    edited = create_autospec(discord.Message, instance=True)
    edited.id, edited.channel = message_id, channel
    return edited


class PartialChannels:
    """Stands in for ``client.get_partial_messageable``: records edits and deletes by message id."""

    def __init__(self) -> None:
        self.messages: dict[tuple[int, int], Any] = {}

    def __call__(self, channel_id: int, **kwargs: Any) -> Any:
        channel = create_autospec(discord.PartialMessageable, instance=True)
        channel.id = channel_id

        def partial(message_id: int) -> Any:
            key = (channel_id, message_id)
            if key not in self.messages:
                msg = create_autospec(discord.PartialMessage, instance=True)
                msg.id = message_id
                msg.edit.side_effect = lambda *a, **k: _edited(channel, message_id)  # like discord.py: a Message
                self.messages[key] = msg
            return self.messages[key]

        channel.get_partial_message.side_effect = partial
        return channel

    def message(self, channel_id: int, message_id: int) -> Any:
        return self.messages.get((channel_id, message_id))
