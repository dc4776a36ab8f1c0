"""Small fake Discord objects, specced from the real discord.py types.

``create_autospec(..., instance=True)`` makes a misspelt attribute raise and
keeps ``isinstance`` true; coroutine methods become ``AsyncMock``s.
"""

from __future__ import annotations

import itertools
from typing import Any
from unittest.mock import create_autospec

import discord

BOT_ID = 900_000_000_000_000_001
GUILD_ID = 800_000_000_000_000_001
CHANNEL_ID = 700_000_000_000_000_001

_ids = itertools.count(100_000_000_000_000_001)


class FakeClock:
    """A monotonic clock tests move by hand."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_user(user_id: int | None = None, *, bot: bool = False, name: str = "alice") -> Any:
    user = create_autospec(discord.Member, instance=True)
    user.id = user_id or next(_ids)
    user.bot = bot
    user.name = name
    user.mention = f"<@{user.id}>"
    return user


def make_bot_user(user_id: int = BOT_ID) -> Any:
    me = create_autospec(discord.ClientUser, instance=True)
    me.id = user_id
    me.bot = True
    me.name = "citebot"
    return me


# What the bot's role may do in a channel unless a test says otherwise (the invite URL's permissions).
BOT_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                      embed_links=True, read_message_history=True)


def make_guild(guild_id: int = GUILD_ID, self_role_id: int | None = None, *, name: str = "test server") -> Any:
    """A guild whose ``get_channel_or_thread`` knows the channels made with ``make_channel(guild=...)``."""
    guild = create_autospec(discord.Guild, instance=True)
    guild.id = guild_id
    guild.name = name
    guild.me = make_user(BOT_ID, bot=True, name="citebot")
    guild.channels_by_id = {}
    guild.get_channel_or_thread.side_effect = guild.channels_by_id.get
    guild.get_channel.side_effect = guild.channels_by_id.get
    if self_role_id is None:
        guild.self_role = None
    else:
        role = create_autospec(discord.Role, instance=True)
        role.id = self_role_id
        guild.self_role = role
    return guild


def make_channel(channel_id: int = CHANNEL_ID, *, guild: Any = None, dm: bool = False,
                 perms: discord.Permissions | None = None, thread: bool = False, name: str = "general") -> Any:
    """A text channel, thread or DM channel whose ``send`` returns a fake message.

    ``perms`` is what ``permissions_for`` returns for the bot (default: the invite's permissions).
    """
    kind = discord.DMChannel if dm else discord.Thread if thread else discord.TextChannel
    channel = create_autospec(kind, instance=True)
    channel.id = channel_id
    if not dm:
        channel.guild = guild
        channel.name = name
        channel.parent_id = None  # a TextChannel has no parent; threads do
        channel.permissions_for.return_value = perms if perms is not None else BOT_PERMISSIONS
        if thread:
            channel.locked = channel.archived = False
        if guild is not None and hasattr(guild, "channels_by_id"):
            guild.channels_by_id[channel_id] = channel
    channel.send.side_effect = lambda *a, **k: make_sent_message(channel)
    return channel


def make_sent_message(channel: Any) -> Any:
    sent = create_autospec(discord.Message, instance=True)
    sent.id = next(_ids)
    sent.channel = channel
    return sent


def make_message(content: str, *, author: Any = None, channel: Any = None, guild: Any = "default",
                 mentions: list[Any] = ()) -> Any:
    """A message in a guild text channel (``guild=None`` for a direct message)."""
    if guild == "default":
        guild = make_guild()
    message = create_autospec(discord.Message, instance=True)
    message.id = next(_ids)
    message.content = content
    message.author = author or make_user()
    message.guild = guild
    message.channel = channel or make_channel(guild=guild, dm=guild is None)
    message.mentions = list(mentions)
    message.webhook_id = None
    message.reference = None  # not a reply (tests/fakes_conversations.py makes replies)
    return message


def make_interaction(*, user: Any = None, guild: Any = "default", channel_id: int = CHANNEL_ID,
                     manage_guild: bool = False, custom_id: str | None = None) -> Any:
    """An app-command or component interaction with an autospecced response and follow-up webhook."""
    if guild == "default":
        guild = make_guild()
    interaction = create_autospec(discord.Interaction, instance=True)
    interaction.user = user or make_user()
    interaction.guild = guild
    interaction.guild_id = guild.id if guild is not None else None
    interaction.channel_id = channel_id
    interaction.message = None
    interaction.channel = make_channel(channel_id, guild=guild, dm=guild is None)
    interaction.permissions = discord.Permissions(manage_guild=manage_guild)
    interaction.data = {"custom_id": custom_id} if custom_id else {}
    interaction.command = None
    response = create_autospec(discord.InteractionResponse, instance=True)
    done = {"value": False}
    response.is_done.side_effect = lambda: done["value"]

    def _respond(*args: Any, **kwargs: Any) -> None:
        done["value"] = True

    for name in ("send_message", "defer", "edit_message"):
        getattr(response, name).side_effect = _respond
    interaction.response = response
    interaction.followup = create_autospec(discord.Webhook, instance=True)
    interaction.followup.send.side_effect = lambda *a, **k: make_sent_message(interaction.channel)
    interaction.original_response.side_effect = lambda: make_sent_message(interaction.channel)
    return interaction


async def click(view: discord.ui.View, item: discord.ui.Item, interaction: Any) -> bool:
    """Press a button the way discord.py's dispatcher does: check, then callback."""
    interaction.data = {"custom_id": item.custom_id}
    if not await view.interaction_check(interaction):
        return False
    await item.callback(interaction)
    return True


def sent_kwargs(mock: Any) -> dict[str, Any]:
    """Keyword arguments (and content) of the single call to a send mock."""
    assert mock.await_count == 1, f"expected one send, got {mock.await_count}: {mock.await_args_list}"
    args, kwargs = mock.await_args
    return {"content": args[0] if args else kwargs.get("content"), **kwargs}
