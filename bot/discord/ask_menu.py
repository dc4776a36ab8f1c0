"""The "Ask citebot" message context-menu command: answer the text of any message.

Discord hands the target message (``data.resolved.messages``) to the command
without the privileged Message Content intent, so a helper can answer someone
else's question in one click. The public reply names whose message it answers
(escaped, never a ping: no mentions are allowed) and links to it. When that
message is later deleted, the answer goes too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.discord import render
from bot.discord.conversations import AnsweredQuestion
from bot.discord.policies import channel_allowed
from bot.discord.views import say_ephemeral
from bot.escapes import plain_question

if TYPE_CHECKING:
    from bot.discord.client import CitebotClient

log = logging.getLogger(__name__)

MENU_NAME = "Ask citebot"


def answering_line(message: discord.Message) -> str:
    """``Answering alice's message: <link>`` (the name escaped; no mention syntax at all)."""
    name = render.fit_plain(message.author.display_name, 80)
    return f"Answering **{name}**'s message: {message.jump_url}"


async def ask_about_message(client: CitebotClient, interaction: discord.Interaction, message: discord.Message,
                            qid: str) -> None:
    """Answer ``message``'s text as a question, publicly, for the user who ran the command."""
    cfg = client.guild_config(interaction.guild)
    if interaction.guild is None and not cfg.allow_dms:
        await say_ephemeral(interaction, "I only answer questions in servers.")
        return
    if interaction.guild is not None and not channel_allowed(
            (*cfg.channel_ids, *cfg.forum_channel_ids), interaction.channel_id,
            getattr(interaction.channel, "parent_id", None), cfg.muted_channel_ids):
        await say_ephemeral(interaction, "I don't answer questions in this channel.")
        return
    me = client.user
    if me is not None and message.author.id == me.id:
        await say_ephemeral(interaction, "That's one of my own answers; reply to it to ask a follow-up.")
        return
    question = plain_question(message.content or "")
    if not question:
        await say_ephemeral(interaction, "That message has no text I could answer.")
        return
    notice = client._gate(question, interaction.user.id, cfg=cfg)
    if notice:
        await say_ephemeral(interaction, notice)
        return
    await interaction.response.defer(thinking=True)
    user = client.hash_user(interaction.user.id)
    answer = await client.ask_engine(question, cfg.results_per_page, qid=qid, user=user,
                                     channel=interaction.channel_id, command="menu")
    reply = client.answer_reply(answer, interaction.user.id, qid)
    sent = await interaction.followup.send(answering_line(message), wait=True, **reply)
    if "view" in reply:
        reply["view"].message = sent
    client.registry.add(AnsweredQuestion(
        question_id=message.id, channel_id=message.channel.id, asker_id=message.author.id, question=question,
        context=(), answer_id=sent.id, answer_channel_id=sent.channel.id, qid=qid, asked_at=client.clock(),
        editable=False))
