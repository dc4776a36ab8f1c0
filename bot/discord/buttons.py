"""Buttons under an answer that outlive restarts: **More results** and 👍/👎.

Each button is a discord.py :class:`~discord.ui.DynamicItem` whose ``custom_id``
carries what it needs (``cb:more:<question id>:<citations shown>``,
``cb:vote:<question id>:<up|down>``); the answer itself (question, citations,
asker) is in the database (bot/discord/state.py). The client registers the
item classes at start (``add_dynamic_items``), so a click on an answer sent
before a restart is handled like any other. Past ``view_timeout_seconds`` a
click gets an ephemeral "this answer has expired" (and greys the buttons out),
never Discord's "This interaction failed".

Votes: one per user per answer. Pressing 👍 or 👎 records it and shows the voter,
privately, their vote with the chosen button highlighted; pressing the chosen
button again withdraws it, the other one changes it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

import discord

from bot.discord import render
from bot.discord.render_text import more_results_text
from bot.discord.state import AnswerRecord, StateDB
from retrieval.models import Answer

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
EXPIRED = "This answer has expired — ask again with `/ask` or by mentioning me."
EMOJI = {"up": "👍", "down": "👎"}
QID = r"[0-9a-f]{8,32}"
PRUNE_EVERY_SECONDS = 3600.0


class MoreResultsButton(discord.ui.DynamicItem[discord.ui.Button],
                        template=rf"cb:more:(?P<qid>{QID}):(?P<shown>\d{{1,3}})"):
    """The next page of citations (for the asker only)."""

    def __init__(self, question_id: str, shown: int, *, disabled: bool = False):
        super().__init__(discord.ui.Button(label="More results", style=discord.ButtonStyle.primary,
                                           custom_id=f"cb:more:{question_id}:{shown}", disabled=disabled))
        self.question_id, self.shown = question_id, shown

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,
                             match: re.Match[str], /) -> MoreResultsButton:
        return cls(match["qid"], int(match["shown"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _controller(interaction).more(interaction, self.question_id, self.shown)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"cb:vote:(?P<qid>{QID}):(?P<vote>up|down)"):
    """👍 or 👎; ``chosen`` highlights the voter's own vote (on their private copy)."""

    def __init__(self, question_id: str, vote: str, *, chosen: bool = False, disabled: bool = False):
        style = (discord.ButtonStyle.success if vote == "up" else discord.ButtonStyle.danger) if chosen \
            else discord.ButtonStyle.secondary
        super().__init__(discord.ui.Button(emoji=EMOJI[vote], style=style, disabled=disabled,
                                           custom_id=f"cb:vote:{question_id}:{vote}"))
        self.question_id, self.vote = question_id, vote

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item,
                             match: re.Match[str], /) -> VoteButton:
        return cls(match["qid"], match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _controller(interaction).vote(interaction, self.question_id, self.vote)


DYNAMIC_ITEMS = (MoreResultsButton, VoteButton)


def _controller(interaction: discord.Interaction) -> AnswerButtons:
    return interaction.client.answer_buttons  # type: ignore[attr-defined]


class AnswerButtonsView(discord.ui.View):
    """The buttons of one answer (never times out in memory: expiry is the database's ``created_at``).

    Setting ``message`` once the answer is sent calls ``on_sent(message, view)``.
    """

    def __init__(self, record: AnswerRecord, on_sent: Callable[[Any, AnswerButtonsView], None] | None = None):
        super().__init__(timeout=None)
        self.record = record
        self._on_sent = on_sent
        self._message: Any = None

    @property
    def message(self) -> Any:
        return self._message

    @message.setter
    def message(self, sent: Any) -> None:
        self._message = sent
        if sent is not None and self._on_sent is not None:
            self._on_sent(sent, self)


class AnswerButtons:
    """Remembers answers, builds their buttons and handles clicks (before or after a restart)."""

    def __init__(self, db: StateDB, *, hash_user: Callable[[int], str], lifetime: float, votes: bool = True,
                 clock: Callable[[], float] = time.time,
                 keep: Callable[[str], discord.ui.Item | None] = lambda custom_id: None):
        self.db = db
        self.hash_user = hash_user
        self.lifetime = lifetime
        self.votes = votes
        self.clock = clock
        self.keep = keep  # rebuilds other modules' buttons on the message (the 🗑), left working on expiry
        self._pruned = 0.0

    # ------------------------------------------------------------------ sending
    def remember(self, answer: Answer, *, question_id: str, asker_id: int, page_size: int,
                 guild_id: int | None = None, channel_id: int | None = None, embeds: bool = True) -> AnswerRecord:
        record = AnswerRecord(question_id=question_id, asker=self.hash_user(asker_id), question=answer.question,
                              answer=answer.text, citations=tuple(answer.citations) + tuple(answer.more),
                              page_size=max(1, page_size), created_at=self.clock(), guild_id=guild_id,
                              channel_id=channel_id, embeds=embeds)
        self.db.save_answer(record)
        if record.created_at - self._pruned > PRUNE_EVERY_SECONDS:
            self._pruned = record.created_at
            forgotten = self.db.prune_answers(older_than=record.created_at - self.lifetime)
            log.debug("forgot %d expired answers nobody voted on", forgotten)
        return record

    def view(self, record: AnswerRecord, shown: int | None = None, *, disabled: bool = False,
             on_sent: Callable[[Any, AnswerButtonsView], None] | None = None) -> AnswerButtonsView:
        """The buttons for an answer whose first ``shown`` citations are on screen."""
        shown = record.page_size if shown is None else shown
        view = AnswerButtonsView(record, on_sent)
        if shown < len(record.citations):
            view.add_item(MoreResultsButton(record.question_id, shown, disabled=disabled))
        if self.votes:
            for vote in ("up", "down"):
                view.add_item(VoteButton(record.question_id, vote, disabled=disabled))
        return view

    def expired(self, record: AnswerRecord | None) -> bool:
        return record is None or self.clock() - record.created_at > self.lifetime

    def greyed_out(self, message: discord.Message | None, question_id: str) -> discord.ui.View:
        """The message's buttons with ours disabled (same ids); others (``keep``) left as they are."""
        view = discord.ui.View(timeout=None)
        for row in getattr(message, "components", None) or []:
            for child in getattr(row, "children", []):
                custom_id = getattr(child, "custom_id", None) or ""
                more = MoreResultsButton.__discord_ui_compiled_template__.fullmatch(custom_id)
                vote = VoteButton.__discord_ui_compiled_template__.fullmatch(custom_id)
                if more:
                    view.add_item(MoreResultsButton(more["qid"], int(more["shown"]), disabled=True))
                elif vote:
                    view.add_item(VoteButton(vote["qid"], vote["vote"], disabled=True))
                elif (kept := self.keep(custom_id)) is not None:
                    view.add_item(kept)
        return view

    async def _expired(self, interaction: discord.Interaction, question_id: str) -> None:
        log.info("expired answer clicked id=%s user=%s", question_id, self.hash_user(interaction.user.id))
        message = interaction.message
        if message is not None and not message.flags.ephemeral:
            await interaction.response.edit_message(view=self.greyed_out(message, question_id))
            if self.db.answer(question_id) is not None:
                self.db.mark_greyed(question_id)
            await interaction.followup.send(render.notice(EXPIRED), ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(render.notice(EXPIRED), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)

    # ------------------------------------------------------------------ clicks
    async def more(self, interaction: discord.Interaction, question_id: str, shown: int) -> None:
        record = self.db.answer(question_id)
        if record is None or self.expired(record):
            await self._expired(interaction, question_id)
            return
        if self.hash_user(interaction.user.id) != record.asker:
            await interaction.response.send_message(
                "Only the person who asked can page through these results. Ask your own question with `/ask`.",
                ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        page = list(record.citations[shown:shown + record.page_size])
        if not page:
            await interaction.response.edit_message(view=self.view(record, len(record.citations)))
            return
        total, first = len(record.citations), shown + 1
        await interaction.response.edit_message(view=self.view(record, shown + len(page)))
        answer = Answer(question=record.question, answered=True, text=record.answer,
                        citations=record.citations[:record.page_size])
        if record.embeds:
            embed = render.more_results_embed(answer, page, total=total, first=first)
            await interaction.followup.send(embed=render.to_embed(embed), allowed_mentions=NO_MENTIONS)
        else:
            await interaction.followup.send(more_results_text(answer, page, total=total, first=first),
                                            allowed_mentions=NO_MENTIONS)
        log.info("more results id=%s first=%d user=%s", question_id, first, self.hash_user(interaction.user.id))

    async def vote(self, interaction: discord.Interaction, question_id: str, pressed: str) -> None:
        record = self.db.answer(question_id)
        if record is None or self.expired(record):
            await self._expired(interaction, question_id)
            return
        voter = self.hash_user(interaction.user.id)
        current = self.db.vote_of(question_id, voter)
        new = None if current == pressed else pressed
        self.db.set_vote(question_id, voter, new, record.paragraph_ids(record.page_size))
        log.info("feedback id=%s user=%s vote=%s", question_id, voter, new or "withdrawn")
        text, view = self._ballot(question_id, new)
        message = interaction.message
        if message is not None and message.flags.ephemeral:  # the voter's private copy: update it in place
            await interaction.response.edit_message(content=text, view=view)
        else:
            await interaction.response.send_message(text, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS)

    def _ballot(self, question_id: str, vote: str | None) -> tuple[str, discord.ui.View]:
        """The voter's private message: their vote, with the chosen button highlighted."""
        view = discord.ui.View(timeout=None)
        for option in ("up", "down"):
            view.add_item(VoteButton(question_id, option, chosen=option == vote))
        if vote is None:
            return "Your vote is withdrawn. Thanks anyway!", view
        other = "👎" if vote == "up" else "👍"
        return (f"Thanks! Your vote: {EMOJI[vote]}. Press {EMOJI[vote]} again to withdraw it, or {other} to "
                "change it."), view

    # ------------------------------------------------------------------ timeout
    async def grey_out(self, message: Any, view: discord.ui.View, *, interaction_started: float | None = None,
                       channel_message: Any = None) -> bool:
        """Disable the More results and vote buttons of a sent ``view`` (others stay); True when done.

        Failures are logged, not raised. An interaction's webhook token lasts
        15 minutes: past that (``/ask`` answers), the message is edited through
        the channel with the bot's own token (``channel_message``, a PartialMessage).
        """
        ours = [item for item in view.children if isinstance(item, DYNAMIC_ITEMS)]
        if not ours:
            return True
        for item in ours:
            item.item.disabled = True
        question_id = getattr(view, "record", None) and view.record.question_id
        target = message
        if interaction_started is not None and self.clock() - interaction_started > 14 * 60:
            target = channel_message
        if target is None:
            log.warning("could not grey out the buttons of answer %s: no way to reach the message", question_id)
            return False
        try:
            await target.edit(view=view)
        except discord.HTTPException as exc:
            log.warning("could not grey out the buttons of answer %s: %s %s (clicks still get the expired notice)",
                        question_id, exc.status, exc.text or "")
            return False
        if question_id:
            self.db.mark_greyed(question_id)
        return True

    async def grey_out_stored(self, question_id: str, message: Any) -> bool:
        """After a restart: grey out an answer from its stored ids (``message``, a PartialMessage).

        The message is fetched to keep its other buttons (the 🗑); it is marked
        done even when Discord refuses (deleted, no access), so it is not retried.
        """
        try:
            current = await message.fetch()
            await message.edit(view=self.greyed_out(current, question_id))
        except discord.HTTPException as exc:
            log.info("could not grey out the buttons of answer %s after a restart: %s %s", question_id,
                     exc.status, exc.text or "")
            self.db.mark_greyed(question_id)
            return False
        self.db.mark_greyed(question_id)
        return True
