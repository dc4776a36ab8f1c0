"""The application commands: /ask, /sources, the "Ask citebot" menu, and the command tree.

``AppCommands`` is mixed into CitebotClient: it registers every command (/reindex and
/config are handled in reindex.py and config_commands.py) and the tree's error handler.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Optional

import discord
from discord import app_commands

from bot.config import DiscordConfig
from bot.discord import render
from bot.discord.ask_menu import MENU_NAME, ask_about_message
from bot.discord.config_commands import build_config_group
from bot.discord.messages import new_question_id
from bot.discord.policies import channel_allowed
from bot.discord.views import NO_MENTIONS, PagesView, apologise_after_defer, say_ephemeral
from bot.escapes import plain_question

__all__ = ["AppCommands"]

# The client's logger: log filters and alerts name it, whichever module the handler lives in.
log = logging.getLogger("bot.discord.client")


class AppCommands:
    """CitebotClient's slash and context-menu commands."""

    def _register_commands(self) -> None:
        @self.tree.command(name="ask", description="Ask a question; get an answer with cited excerpts from the corpus")
        @app_commands.describe(question="What you want to know", results="How many cited passages to show (1-10)")
        async def ask(interaction: discord.Interaction, question: str,
                      results: Optional[app_commands.Range[int, 1, 10]] = None) -> None:
            await self.ask_command(interaction, question, results)

        @self.tree.command(name="sources", description="List the documents citebot answers from")
        async def sources(interaction: discord.Interaction) -> None:
            await self.sources_command(interaction)

        @self.tree.command(name="reindex", description="Rebuild the search index from the corpus (bot operators)")
        @app_commands.default_permissions()  # hidden from all but server admins; the handler checks owner_ids
        async def reindex(interaction: discord.Interaction) -> None:
            await self.reindex_command(interaction)

        self.tree.add_command(build_config_group(self))

        @self.tree.context_menu(name=MENU_NAME)
        async def ask_citebot(interaction: discord.Interaction, message: discord.Message) -> None:
            await self.ask_menu_command(interaction, message)

    async def ask_command(self, interaction: discord.Interaction, question: str, results: int | None = None) -> None:
        cfg = self.guild_config(interaction.guild)
        qid, user = new_question_id(), self.hash_user(interaction.user.id)
        deferred = False
        try:
            if interaction.guild is None and not cfg.allow_dms:
                await say_ephemeral(interaction, "I only answer questions in servers.")
                return
            if interaction.guild is not None and not channel_allowed(
                    cfg.channel_ids, interaction.channel_id, getattr(interaction.channel, "parent_id", None),
                    cfg.muted_channel_ids):
                await say_ephemeral(interaction, self._where_allowed(interaction.guild, cfg))
                return
            question = plain_question(question or "")
            notice = self._gate(question, interaction.user.id, cfg=cfg)
            if notice:
                await say_ephemeral(interaction, notice)
                return
            await interaction.response.defer(thinking=True)
            deferred = True
            answer = await self.ask_engine(question, results or cfg.results_per_page, qid=qid, user=user,
                                           channel=interaction.channel_id, command="/ask")
            reply = self.answer_reply(answer, interaction.user.id, qid)
            sent = await interaction.followup.send(wait=True, **reply)
            if "view" in reply:
                reply["view"].message = sent
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=/ask", qid, user, interaction.channel_id)
            await self._apologise(functools.partial(apologise_after_defer, interaction, public_defer=deferred), qid)

    @staticmethod
    def _where_allowed(guild: discord.Guild, cfg: DiscordConfig) -> str:
        """The refusal for a channel the bot doesn't answer in, naming only this server's allowed channels."""
        here = [c for c in cfg.channel_ids if guild.get_channel_or_thread(c) is not None
                and c not in cfg.muted_channel_ids]
        if not here:
            return "I don't answer questions in this channel."
        return "I only answer questions in " + ", ".join(f"<#{c}>" for c in here) + "."

    async def ask_menu_command(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Ask citebot" message command (bot/discord/ask_menu.py)."""
        qid = new_question_id()
        try:
            await ask_about_message(self, interaction, message, qid)
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=menu", qid,
                          self.hash_user(interaction.user.id), interaction.channel_id)
            await self._apologise(functools.partial(say_ephemeral, interaction), qid)

    async def sources_command(self, interaction: discord.Interaction) -> None:
        try:
            pages = render.sources_embeds(self.holder.current.documents)
            kwargs: dict[str, Any] = {"embed": render.to_embed(pages[0]), "ephemeral": True,
                                      "allowed_mentions": NO_MENTIONS}
            view = None
            if len(pages) > 1:
                view = kwargs["view"] = PagesView(pages, owner_id=interaction.user.id,
                                                  timeout=self.config.discord.view_timeout_seconds)
            await interaction.response.send_message(**kwargs)
            if view is not None:
                view.message = await interaction.original_response()
        except Exception:
            log.exception("command failed user=%s command=/sources", self.hash_user(interaction.user.id))
            await self._apologise(functools.partial(say_ephemeral, interaction), "sources")

    async def reindex_command(self, interaction: discord.Interaction) -> None:
        """/reindex (bot/discord/reindex.py): operators only, with a cooldown and progress."""
        await self.reindexer.command(interaction)

    async def _on_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        name = interaction.command.name if interaction.command else "?"
        if isinstance(error, (app_commands.CommandSignatureMismatch, app_commands.TransformerError)):
            # A client sent options that do not fit the command (e.g. /ask without a question).
            log.info("malformed command user=%s command=/%s: %s", self.hash_user(interaction.user.id), name, error)
            await say_ephemeral(interaction, f"That /{name} was missing something. Try, for example: "
                                               "/ask question: what did the US say about Tomahawk missiles?")
            return
        log.error("command failed user=%s command=/%s", self.hash_user(interaction.user.id), name, exc_info=error)
        await self._apologise(functools.partial(say_ephemeral, interaction), name)
