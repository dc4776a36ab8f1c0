"""The message path: questions by mention, DM, ``!ask`` prefix, reply, thread or forum post.

``MessageHandling`` is mixed into CitebotClient: it finds the question in a message,
applies the server's settings and the gate, routes follow-ups to their conversation
and sends the answer (in a new thread when configured).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from typing import Any

import discord

from bot.discord import render
from bot.discord.conversations import AnsweredQuestion, forum_post_question, is_citebot_thread
from bot.discord.permissions import ReplyPlan, plan_for_channel
from bot.discord.policies import channel_allowed, extract_question
from bot.escapes import plain_question
from bot.discord.threads import open_answer_thread
from bot.discord.views import NO_MENTIONS
from bot.followup import SMALL_TALK_REPLY
from retrieval import is_small_talk

__all__ = ["MessageHandling", "new_question_id"]

# The client's logger: log filters and alerts name it, whichever module the handler lives in.
log = logging.getLogger("bot.discord.client")


def new_question_id() -> str:
    return secrets.token_hex(4)


class MessageHandling:
    """CitebotClient's message handlers (``on_message`` and the helpers edits.py shares)."""

    def question_in(self, message: discord.Message) -> tuple[str, str] | None:
        """``(question, command)`` if the message is addressed to the bot, else None."""
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        cfg = self.guild_config(message.guild)
        forum_question = forum_post_question(message, cfg.forum_channel_ids)
        if forum_question is not None:
            return plain_question(forum_question.replace(f"<@{me.id}>", " ").replace(f"<@!{me.id}>", " ")), "forum"
        prefix = cfg.prefix if cfg.message_content_intent and cfg.prefix else None
        content = message.content or ""
        command = "prefix" if prefix and content.strip().startswith(prefix) else "mention"
        if message.guild is None:
            question = extract_question(content, me.id, prefix=prefix, require_trigger=False)
            return (question or "", "dm")
        self_role = message.guild.self_role
        # a reply that pings the bot mentions it without "<@id>" in the text
        pinged = any(user.id == me.id for user in message.mentions)
        question = extract_question(content, me.id, role_ids=[self_role.id] if self_role else [], prefix=prefix,
                                    require_trigger=not pinged)
        if question is None and cfg.message_content_intent and content.strip():
            # With the intent the bot reads every message: in its threads (and forum posts) all are
            # follow-ups; elsewhere a reply is one if it replies to an answer (checked in on_message).
            if is_citebot_thread(message.channel, me.id, cfg.forum_channel_ids):
                question, command = plain_question(content), "thread"
            elif message.reference is not None:
                question, command = plain_question(content), "reply"
        if question is None:
            return None
        parent_id = getattr(message.channel, "parent_id", None)
        if not channel_allowed(cfg.channel_ids, message.channel.id, parent_id, cfg.muted_channel_ids) and \
                parent_id not in cfg.forum_channel_ids:
            return None
        return question, command

    def reply_plan(self, channel: Any) -> ReplyPlan:
        """What the bot may send in ``channel`` (logs, at most hourly per channel, what is missing)."""
        plan = plan_for_channel(channel)
        if plan.missing:
            self.missing_permissions.report(channel, plan)
        return plan

    def edited_question(self, message: discord.Message, *, answered: bool = False) -> str | None:
        """The question in an edited message, by the same rules as a new one (None if it is none).

        A message the bot ``answered`` stays a question even if the edit dropped the mention.
        """
        found = self.question_in(message)
        if found is not None:
            return found[0]
        if answered and self.user is not None and not message.author.bot:
            return extract_question(message.content or "", self.user.id, require_trigger=False) or None
        return None

    async def on_message(self, message: discord.Message) -> None:
        found = self.question_in(message)
        if found is None:
            return
        plan = self.reply_plan(message.channel)
        if not plan.send:
            return  # no typing, no apology: every request here would be refused (403)
        question, command = found
        qid, user = new_question_id(), self.hash_user(message.author.id)
        reference = message.to_reference(fail_if_not_exists=False) if plan.reference else None

        async def send(content: str | None = None, **kwargs: Any) -> discord.Message:
            kwargs.setdefault("allowed_mentions", NO_MENTIONS)
            if reference is not None:
                kwargs["reference"] = reference
            return await message.channel.send(content, **kwargs)

        cfg = self.guild_config(message.guild)
        cooldown = self.cooldown_for(cfg)
        try:
            if command == "dm" and not cfg.allow_dms:
                if not cooldown.hit(message.author.id):
                    await send("I only answer questions in servers.")
                return
            conversation = None if command == "forum" else await self.finder.find(
                message, self.user.id, forum_ids=cfg.forum_channel_ids)
            if command == "reply" and (conversation is None or conversation.kind != "reply"):
                return  # a reply between people, read thanks to the intent: not for the bot
            if conversation is not None and is_small_talk(question):  # "thanks!" in a conversation: no search
                if cfg.acknowledge_small_talk and not cooldown.hit(message.author.id):
                    await send(SMALL_TALK_REPLY)
                return
            notice = self._gate(question, message.author.id, limit_notices=True, cfg=cfg)
            if notice is not None:
                if notice:
                    await send(render.notice(notice))
                return
            thread = None
            if cfg.answer_in_thread and conversation is None and command in ("mention", "prefix"):
                thread = await open_answer_thread(message, question)
            # (no typing indicator in a thread just created: the answer follows at once)
            async with message.channel.typing() if thread is None else contextlib.nullcontext():
                answer = await self.ask_engine(question, cfg.results_per_page, qid=qid, user=user,
                                               channel=message.channel.id, command=command,
                                               context=conversation.previous if conversation else None)
            reply = self.answer_reply(answer, message.author.id, qid, embeds=plan.embeds,
                                      link=message.jump_url if thread else None)
            sent = await (thread.send(**reply) if thread is not None else send(**reply))
            if "view" in reply:
                reply["view"].message = sent
            self.registry.add(AnsweredQuestion(
                question_id=message.id, channel_id=message.channel.id, asker_id=message.author.id, question=question,
                context=answer.context.previous if answer.context else (), answer_id=sent.id,
                answer_channel_id=sent.channel.id, qid=qid, asked_at=self.clock(),
                thread_id=thread.id if thread is not None else None))
        except (discord.Forbidden, discord.NotFound) as exc:
            # Refused (permissions changed since the cache said yes) or gone: an apology in the same channel
            # would be refused the same way, so there is none; the refusal is logged.
            log.warning("could not answer id=%s user=%s channel=%s command=%s: %s %s (code %s)", qid, user,
                        getattr(message.channel, "id", None), command, exc.status, exc.text or "", exc.code)
        except Exception:
            log.exception("question failed id=%s user=%s channel=%s command=%s", qid, user,
                          getattr(message.channel, "id", None), command)
            await self._apologise(send, qid)
