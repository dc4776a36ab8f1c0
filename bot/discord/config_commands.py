"""``/config``: a server's admins view and change citebot's settings for their server.

The group is visible only to members with Manage Server (Discord's
``default_member_permissions``; a server can grant it to others in its
Integrations settings) and only in servers; the handlers check Manage Server
again. Every reply is ephemeral and names only this server's channels.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, Union

import discord
from discord import app_commands

from bot.discord import render
from bot.discord.guild_settings import EDITABLE, SCALARS, GuildSettings, parse_value
from bot.discord.views import NO_MENTIONS

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient

log = logging.getLogger(__name__)

AnyChannel = Union[discord.TextChannel, discord.ForumChannel, discord.Thread, discord.VoiceChannel]
SETTING_CHOICES = [app_commands.Choice(name=key, value=key) for key in SCALARS]
RESET_CHOICES = [*SETTING_CHOICES, *(app_commands.Choice(name=key, value=key) for key in EDITABLE
                                     if key not in SCALARS), app_commands.Choice(name="everything", value="*")]


async def _reply(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(render.notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _in(guild: discord.Guild):
    """Whether a channel id is one of ``guild``'s (as far as the cache knows)."""
    return lambda channel_id: guild.get_channel_or_thread(channel_id) is not None


def describe(settings: GuildSettings, guild: discord.Guild) -> str:
    """What /config show prints: each setting, its value here, and whether it is this server's own."""
    cfg = settings.config_for(guild.id)
    own = settings.overrides(guild.id)
    lines = [f"**citebot settings for {render.escape(guild.name)}** (✎ = set for this server, "
             "otherwise the bot's default)"]
    for key, spec in EDITABLE.items():
        value = getattr(cfg, key)
        mark = " ✎" if key in own else ""
        if spec.kind == "channels":
            here = [c for c in value if guild.get_channel_or_thread(c) is not None]
            if key == "channel_ids":
                shown = ", ".join(f"<#{c}>" for c in here) if here else (
                    "every channel I can read" if not value else "none of this server's channels")
            else:
                shown = ", ".join(f"<#{c}>" for c in here) or "none"
        else:
            shown = _fmt(value)
        lines.append(f"• `{key}`{mark}: {shown} — {spec.label}")
    lines.append("Change with `/config channel`, `/config forum`, `/config set`; undo with `/config reset`.")
    return "\n".join(lines)


def build_config_group(client: CitebotClient) -> app_commands.Group:
    """The /config command group, bound to ``client``'s settings."""
    group = app_commands.Group(name="config", description="View or change citebot's settings for this server",
                               default_permissions=discord.Permissions(manage_guild=True), guild_only=True)

    async def allowed(interaction: discord.Interaction) -> bool:
        if interaction.guild is None or not interaction.permissions.manage_guild:
            await _reply(interaction, "Only members with the Manage Server permission can change citebot's "
                                      "settings for this server.")
            return False
        return True

    def changed(interaction: discord.Interaction, what: str) -> None:
        log.info("server settings changed guild=%s user=%s: %s", interaction.guild_id,
                 client.hash_user(interaction.user.id), what)

    @group.command(name="show", description="Show citebot's settings for this server")
    async def show(interaction: discord.Interaction) -> None:
        if await allowed(interaction):
            await _reply(interaction, describe(client.guild_settings, interaction.guild))

    @group.command(name="channel", description="Turn citebot's answers on or off in a channel (and its threads)")
    @app_commands.describe(channel="The channel", answers="on: answer here (then only in channels turned on); "
                                                          "off: never answer here; default: remove the rule")
    async def channel(interaction: discord.Interaction, channel: AnyChannel,
                      answers: Literal["on", "off", "default"]) -> None:
        if not await allowed(interaction):
            return
        guild, settings = interaction.guild, client.guild_settings
        belongs = _in(guild)
        settings.set_channel(guild.id, "channel_ids", channel.id, answers == "on", belongs)
        settings.set_channel(guild.id, "muted_channel_ids", channel.id, answers == "off", belongs)
        changed(interaction, f"channel {channel.id} answers={answers}")
        cfg = settings.config_for(guild.id)
        where = {"on": "I'll answer in {c}" + (" (and, while any channel is on, only in those)"),
                 "off": "I won't answer in {c} any more", "default": "{c} follows the server's defaults again"}
        note = "" if answers != "default" or cfg.channel_ids else " (no channel is on: I answer everywhere I can read)"
        await _reply(interaction, where[answers].format(c=f"<#{channel.id}>") + "." + note)

    @group.command(name="forum", description="Answer new posts in a forum channel, or stop")
    @app_commands.describe(forum="The forum channel", answers="on: answer its new posts; off: don't")
    async def forum(interaction: discord.Interaction, forum: discord.ForumChannel,
                    answers: Literal["on", "off"]) -> None:
        if not await allowed(interaction):
            return
        guild = interaction.guild
        client.guild_settings.set_channel(guild.id, "forum_channel_ids", forum.id, answers == "on", _in(guild))
        changed(interaction, f"forum {forum.id} answers={answers}")
        await _reply(interaction, f"New posts in <#{forum.id}> " + ("get an answer." if answers == "on"
                                                                   else "no longer get an answer."))

    @group.command(name="set", description="Change a setting for this server")
    @app_commands.describe(setting="Which setting", value="on/off, or a number")
    @app_commands.choices(setting=SETTING_CHOICES)
    async def set_(interaction: discord.Interaction, setting: app_commands.Choice[str], value: str) -> None:
        if not await allowed(interaction):
            return
        try:
            parsed = parse_value(setting.value, value)
        except ValueError as exc:
            await _reply(interaction, f"Not changed: {exc}.")
            return
        client.guild_settings.set(interaction.guild_id, setting.value, parsed)
        changed(interaction, f"{setting.value}={_fmt(parsed)}")
        await _reply(interaction, f"`{setting.value}` is now {_fmt(parsed)} in this server.")

    @group.command(name="reset", description="Go back to the bot's default for a setting (or everything)")
    @app_commands.describe(setting="Which setting")
    @app_commands.choices(setting=RESET_CHOICES)
    async def reset(interaction: discord.Interaction, setting: app_commands.Choice[str]) -> None:
        if not await allowed(interaction):
            return
        keys = list(EDITABLE) if setting.value == "*" else [setting.value]
        for key in keys:
            client.guild_settings.reset(interaction.guild_id, key)
        changed(interaction, f"reset {setting.value}")
        await _reply(interaction, f"{'Every setting' if setting.value == '*' else f'`{setting.value}`'} is back "
                                  "to the bot's default in this server.")

    return group
