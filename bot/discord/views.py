"""Buttons under the bot's replies: More results, 👍/👎 feedback, and /sources pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord

from bot.discord import render
from bot.discord.feedback import FeedbackLog, paragraph_id
from bot.discord.render_text import more_results_text
from retrieval.models import Answer

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()  # every send: nothing in a reply ever pings anyone


async def say_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral line, as the response if none was sent yet, else as a follow-up."""
    if interaction.response.is_done():
        await interaction.followup.send(render.notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(render.notice(text), ephemeral=True, allowed_mentions=NO_MENTIONS)


async def apologise_after_defer(interaction: discord.Interaction, text: str, *, public_defer: bool) -> None:
    """An apology that replaces a public "thinking…" message, else an ephemeral line.

    After a public defer Discord turns the first follow-up into an edit of the
    thinking message whatever its flags say (an "ephemeral" follow-up would be
    public anyway, a deprecated behaviour), so the edit is made explicitly.
    """
    if public_defer:
        await interaction.edit_original_response(content=render.notice(text), embed=None, view=None,
                                                 allowed_mentions=NO_MENTIONS)
    else:
        await say_ephemeral(interaction, text)


class TimeoutDisablesView(discord.ui.View):
    """A view that greys out its buttons when it expires; ``message`` is set after sending."""

    message: discord.Message | None = None

    async def on_timeout(self) -> None:
        for item in self.children:
            item.disabled = True  # type: ignore[attr-defined]
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException as exc:  # message deleted, token expired…
                log.debug("could not disable expired buttons: %s", exc)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        log.error("button failed view=%s item=%s user=%s", type(self).__name__, getattr(item, "label", item),
                  self.describe_user(interaction), exc_info=error)
        try:
            await say_ephemeral(interaction, "Sorry, something went wrong with that button.")
        except discord.HTTPException:
            log.debug("could not send the apology", exc_info=True)

    def describe_user(self, interaction: discord.Interaction) -> str:
        return "?"


class AnswerView(TimeoutDisablesView):
    """**More results** (asker only, pages through ``answer.more``) and 👍/👎 feedback."""

    def __init__(self, *, answer: Answer, asker_id: int, question_id: str, timeout: float,
                 feedback: FeedbackLog | None = None, hash_user: Callable[[int], str] = str,
                 page_size: int | None = None, embeds: bool = True):
        super().__init__(timeout=timeout)
        self.embeds = embeds  # False where the bot lacks Embed Links: pages come as plain text too
        self.answer = answer
        self.asker_id = asker_id
        self.question_id = question_id
        self.feedback = feedback
        self.hash_user = hash_user
        self.citations = list(answer.citations) + list(answer.more)
        self.page_size = max(1, page_size or len(answer.citations) or 1)
        self.shown = len(answer.citations)
        if self.shown >= len(self.citations):
            self.remove_item(self.more_results)
        if feedback is None:
            self.remove_item(self.vote_up)
            self.remove_item(self.vote_down)

    def describe_user(self, interaction: discord.Interaction) -> str:
        return f"{self.hash_user(interaction.user.id)} question={self.question_id}"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        custom_id = (interaction.data or {}).get("custom_id")
        if custom_id == self.more_results.custom_id and interaction.user.id != self.asker_id:
            await say_ephemeral(interaction, "Only the person who asked can page through these results. "
                                    "Ask your own question with `/ask`.")
            return False
        return True

    @discord.ui.button(label="More results", style=discord.ButtonStyle.primary)
    async def more_results(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        page = self.citations[self.shown:self.shown + self.page_size]
        if not page:
            button.disabled = True
            await interaction.response.edit_message(view=self)
            return
        first = self.shown + 1
        self.shown += len(page)
        button.disabled = self.shown >= len(self.citations)
        await interaction.response.edit_message(view=self)
        total = len(self.citations)
        if self.embeds:
            embed = render.more_results_embed(self.answer, page, total=total, first=first)
            await interaction.followup.send(embed=render.to_embed(embed), allowed_mentions=NO_MENTIONS)
        else:
            text = more_results_text(self.answer, page, total=total, first=first)
            await interaction.followup.send(text, allowed_mentions=NO_MENTIONS)

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary)
    async def vote_up(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, "up")

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary)
    async def vote_down(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._vote(interaction, "down")

    async def _vote(self, interaction: discord.Interaction, vote: str) -> None:
        assert self.feedback is not None
        cited = [paragraph_id(c.source, c.paragraph) for c in self.citations[:self.shown]]
        await asyncio.get_running_loop().run_in_executor(None, lambda: self.feedback.record(
            question=self.answer.question, paragraphs=cited, vote=vote,
            user_hash=self.hash_user(interaction.user.id), question_id=self.question_id))
        log.info("feedback id=%s user=%s vote=%s", self.question_id, self.hash_user(interaction.user.id), vote)
        await say_ephemeral(interaction, "Thanks for the feedback!")


class PagesView(TimeoutDisablesView):
    """◀ / ▶ through a list of embed dicts (used by /sources); only the invoker may page."""

    def __init__(self, pages: Sequence[dict[str, Any]], *, owner_id: int, timeout: float):
        super().__init__(timeout=timeout)
        self.pages = list(pages)
        self.owner_id = owner_id
        self.index = 0
        self._update()

    def _update(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await say_ephemeral(interaction, "Use `/sources` yourself to page through the list.")
            return False
        return True

    async def _show(self, interaction: discord.Interaction, step: int) -> None:
        self.index = min(max(self.index + step, 0), len(self.pages) - 1)
        self._update()
        await interaction.response.edit_message(embed=render.to_embed(self.pages[self.index]), view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next_page(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, +1)
