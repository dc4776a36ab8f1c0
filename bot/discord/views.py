"""Interaction helpers and the /sources pages (the answer buttons are in bot/discord/buttons.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import discord

from bot.discord import render

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
