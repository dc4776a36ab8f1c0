"""Conversations in the loopback Discord: replies, edits, deletes, threads, forum posts, message commands.

REST: ``POST /channels/{id}/messages/{id}/threads`` (a public thread on a message; 403 when
``deny_threads``), ``GET /channels/{id}/messages`` (history: ``limit``, ``before``, ``after``),
``PATCH``/``DELETE /channels/{id}`` (threads), and ``DELETE`` of a message (which dispatches
MESSAGE_DELETE, as Discord does). Editing a message in an archived thread fails with 50083.

Simulated users: :meth:`send_reply` (``message_reference`` + ``referenced_message``; a reply pings
the replied-to author by default), :meth:`edit_message` (MESSAGE_UPDATE with the full message),
:meth:`delete_message` / :meth:`bulk_delete` (MESSAGE_DELETE / MESSAGE_DELETE_BULK),
:meth:`send_message_command` (interaction type 2, ``data.type`` 3, ``target_id``,
``resolved.messages``), :meth:`create_forum` and :meth:`create_forum_post` (CHANNEL_CREATE,
THREAD_CREATE, then the opening message whose id is the thread's), :meth:`send_dm` (a DM channel
per user; messages without ``guild_id``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from . import payloads as P
from .fake_rest import BODY

if TYPE_CHECKING:
    from .discord_server import Interaction

DM_TYPE, THREAD_TYPE, FORUM_TYPE = 1, 11, 15


def thread_payload(thread_id: int, guild_id: int, parent_id: int, owner_id: int, name: str) -> dict:
    return {
        "id": str(thread_id), "type": THREAD_TYPE, "guild_id": str(guild_id), "parent_id": str(parent_id),
        "owner_id": str(owner_id), "name": name, "last_message_id": None, "rate_limit_per_user": 0,
        "message_count": 0, "member_count": 1, "flags": 0, "total_message_sent": 0,
        "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": P.iso_now(),
                            "locked": False},
    }


class ConversationMixin:
    """Conversation behaviour of :class:`~.discord_server.FakeDiscord` (state lives there)."""

    # ------------------------------------------------------------------ REST
    def _conversation_routes(self, r: web.UrlDispatcher) -> None:
        api = "/api/v10"
        r.add_post(api + "/channels/{channel_id}/messages/{message_id}/threads", self._start_thread)
        r.add_get(api + "/channels/{channel_id}/messages", self._history)
        r.add_patch(api + "/channels/{channel_id}", self._edit_channel)
        r.add_delete(api + "/channels/{channel_id}", self._delete_channel)

    def _writable(self, channel_id: int) -> bool:
        """A DM channel, or a thread that is not locked."""
        channel = self.extra_channels.get(channel_id)
        if channel is not None and channel["type"] == DM_TYPE:
            return True
        return bool(channel and channel["type"] == THREAD_TYPE and not channel["thread_metadata"]["locked"])

    def is_dm(self, channel_id: int) -> bool:
        channel = self.extra_channels.get(channel_id)
        return bool(channel and channel["type"] == DM_TYPE)

    def _archived(self, channel_id: int) -> bool:
        channel = self.extra_channels.get(channel_id)
        return bool(channel and channel["type"] == THREAD_TYPE and channel["thread_metadata"]["archived"])

    def reference_to(self, message_id: int, channel_id: int) -> dict:
        ref = {"message_id": str(message_id), "channel_id": str(channel_id)}
        return ref if self.is_dm(channel_id) else dict(ref, guild_id=str(self.guild_of(channel_id)))

    async def _start_thread(self, request: web.Request) -> web.Response:
        cid, mid = int(request.match_info["channel_id"]), int(request.match_info["message_id"])
        if self.deny_threads:
            return self._error(403, "Missing Permissions", 50013)
        if mid not in self.messages or int(self.messages[mid]["channel_id"]) != cid:
            return self._error(404, "Unknown Message", 10008)
        if any(c.get("id") == str(mid) for c in self.extra_channels.values()):
            return self._error(400, "A thread has already been created for this message", 160004)
        name = (request[BODY] or {}).get("name") or ""
        if not 1 <= len(name) <= 100:
            return self._error(400, "Invalid Form Body", 50035)
        thread = thread_payload(mid, self.world.guild_id, cid, self.world.bot_user_id, name)  # id = the message's
        self.extra_channels[mid] = thread
        await self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        return self._json("POST threads", thread, status=201)

    async def _history(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        limit = min(int(request.query.get("limit", 50)), 100)
        before = int(request.query.get("before", 0)) or None
        after = int(request.query.get("after", 0)) or None
        mine = sorted((mid, m) for mid, m in self.messages.items() if int(m["channel_id"]) == cid)
        if after is not None:  # the `limit` messages right after it, returned newest first like Discord
            found = [m for mid, m in mine if mid > after][:limit][::-1]
        else:
            found = [m for mid, m in reversed(mine) if before is None or mid < before][:limit]
        return self._json("GET history", found)

    async def _edit_channel(self, request: web.Request) -> web.Response:
        channel = self.extra_channels.get(int(request.match_info["channel_id"]))
        if channel is None or channel["type"] != THREAD_TYPE:
            return self._error(403, "Missing Permissions", 50013)
        body = request[BODY] or {}
        if "name" in body:
            channel["name"] = body["name"]
        for key in ("archived", "locked"):
            if key in body:
                channel["thread_metadata"][key] = bool(body[key])
        await self.dispatch("THREAD_UPDATE", channel)
        return self._json("PATCH channel", channel)

    async def _delete_channel(self, request: web.Request) -> web.Response:
        return self._error(403, "Missing Permissions", 50013)  # the bot has no Manage Threads here

    async def _delete_message(self, request: web.Request) -> web.Response:
        mid = int(request.match_info["message_id"])
        msg = self.messages.pop(mid, None)
        if msg is None:
            return self._error(404, "Unknown Message", 10008)
        data = {"id": str(mid), "channel_id": msg["channel_id"], "guild_id": str(self.world.guild_id)}
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.dispatch("MESSAGE_DELETE", data)))
        return self._json("DELETE message", None)

    async def dispatch_update(self, msg: dict) -> None:
        s = self.session
        visible = self._visible_message(s, msg) if s is not None else None
        if visible is not None:
            await self.dispatch("MESSAGE_UPDATE", visible)

    # ------------------------------------------------------------------ simulated users
    async def send_reply(self, author_id: int, text: str, to: int, *, ping: bool = True,
                         channel_id: int | None = None) -> int:
        """A user replies to message ``to``; by default the reply pings its author (Discord's default)."""
        target = self.messages[to]
        pings_bot = ping and target["author"]["id"] == str(self.world.bot_user_id)
        return await self.send_message(author_id, text, mention_bot=pings_bot, reply_to=to,
                                       channel_id=channel_id or int(target["channel_id"]))

    def dm_channel(self, user_id: int) -> int:
        """The DM channel between the bot and ``user_id`` (created on first use)."""
        for cid, channel in self.extra_channels.items():
            if channel["type"] == DM_TYPE and channel["recipients"][0]["id"] == str(user_id):
                return cid
        cid = self.ids.next()
        self.extra_channels[cid] = {"id": str(cid), "type": DM_TYPE, "recipients": [self.users[user_id]],
                                    "last_message_id": None}
        return cid

    async def send_dm(self, author_id: int, text: str) -> int:
        """A user writes to the bot in a direct message (needs the DIRECT_MESSAGES intent); returns its id."""
        cid = self.dm_channel(author_id)
        mid = self.ids.next()
        msg = P.message(mid, cid, None, self.users[author_id], text)
        self.messages[mid] = msg
        self.dispatched_at[mid] = asyncio.get_running_loop().time()
        visible = self._visible_message(self.session, msg) if self.session is not None else None
        if visible is not None:
            await self.dispatch("MESSAGE_CREATE", visible)
        return mid

    async def edit_message(self, message_id: int, content: str) -> None:
        msg = self.messages[message_id]
        msg["content"] = content
        msg["edited_timestamp"] = P.iso_now()
        self.dispatched_at[message_id] = asyncio.get_running_loop().time()
        await self.dispatch_update(msg)

    async def delete_message(self, message_id: int) -> None:
        msg = self.messages.pop(message_id)
        await self.dispatch("MESSAGE_DELETE", {"id": str(message_id), "channel_id": msg["channel_id"],
                                               "guild_id": str(self.world.guild_id)})

    async def bulk_delete(self, message_ids: list[int]) -> None:
        channel_id = self.messages[message_ids[0]]["channel_id"]
        for mid in message_ids:
            self.messages.pop(mid, None)
        await self.dispatch("MESSAGE_DELETE_BULK", {"ids": [str(m) for m in message_ids], "channel_id": channel_id,
                                                    "guild_id": str(self.world.guild_id)})

    async def send_message_command(self, user_id: int, name: str, target_id: int) -> Interaction:
        """A user runs the message command ``name`` on message ``target_id`` (right-click > Apps)."""
        cmd = self.command(name)
        target = self.messages[target_id]
        data = {"id": cmd["id"], "name": name, "type": 3, "target_id": str(target_id),
                "resolved": {"messages": {str(target_id): target}}}
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload, record = self._interaction_base(2, user_id, data, int(target["channel_id"]))
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def create_forum(self, name: str = "help", forum_id: int | None = None) -> int:
        fid = forum_id or self.ids.next()
        forum = dict(P.text_channel(fid, self.world.guild_id, name, 5), type=FORUM_TYPE, available_tags=[],
                     default_reaction_emoji=None, default_thread_rate_limit_per_user=0, default_sort_order=None,
                     default_forum_layout=0, flags=0)
        self.extra_channels[fid] = forum
        await self.dispatch("CHANNEL_CREATE", forum)
        return fid

    async def create_forum_post(self, author_id: int, forum_id: int, title: str, content: str) -> int:
        """A user opens a post: THREAD_CREATE, then the opening message (same id as the thread)."""
        tid = self.ids.next()
        thread = thread_payload(tid, self.world.guild_id, forum_id, author_id, title)
        self.extra_channels[tid] = thread
        await self.dispatch("THREAD_CREATE", dict(thread, newly_created=True))
        await self.send_message(author_id, content, channel_id=tid, message_id=tid)
        return tid

    def threads_started(self) -> list[dict]:
        return [r.response for r in self.ok("POST /channels/{channel_id}/messages/{message_id}/threads")]
