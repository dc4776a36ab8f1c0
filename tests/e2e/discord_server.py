"""A small Discord-compatible server on 127.0.0.1 for end-to-end tests.

It speaks the REST subset (API v10) and the gateway protocol the bot uses, with
real HTTP and a real websocket, so the unmodified discord.py client runs against
it. Every REST request is recorded (method, route, JSON body, status, time) so
tests can assert on the exact payloads the bot sent; faults (429, 5xx, dropped
websocket, invalidated session) are injected on demand.

It emulates the Discord behaviours a bot can get wrong: intents filter gateway
events (no MESSAGE_CREATE without GUILD_MESSAGES; content blanked without the
MESSAGE_CONTENT intent unless the bot is mentioned), an interaction may be
acknowledged once and only within its deadline, the bot's own messages come
back as MESSAGE_CREATE, and events sent while the bot was disconnected are
replayed on RESUME.

Nothing here imports citebot: the server only knows Discord.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from . import payloads as P
from .fake_conversations import ConversationMixin
from .fake_gateway import GatewayMixin, GatewaySession
from .fake_guilds import GuildsMixin
from .fake_rest import (  # noqa: F401 - re-exported for the tests
    API,
    CB_DEFERRED_MESSAGE,
    CB_DEFERRED_UPDATE,
    CB_MESSAGE,
    CB_UPDATE,
    EPHEMERAL,
    Bucket,
    Fault,
    Recorded,
    RestMixin,
)


@dataclass
class Interaction:
    id: int
    token: str
    type: int  # 2 application command, 3 component
    user_id: int
    channel_id: int
    dispatched_at: float
    message_id: int | None = None  # the message a component sits on
    acknowledged: bool = False
    original_message_id: int | None = None


class FakeDiscord(ConversationMixin, RestMixin, GatewayMixin, GuildsMixin):
    """The loopback Discord: ``await start()``, point discord.py at ``api_base``/``gateway_url``."""

    def __init__(
        self,
        *,
        token: str = "e2e.fake.token",
        heartbeat_interval_ms: int = 2000,
        interaction_deadline: float = 3.0,
        ratelimit_headers: bool = True,
    ) -> None:
        self.ids = P.Snowflakes()
        self.world = P.World(
            guild_id=self.ids.next(),
            channel_id=self.ids.next(),
            other_channel_id=self.ids.next(),
            bot_user_id=self.ids.next(),
            application_id=self.ids.next(),
            owner_id=self.ids.next(),
        )
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.ratelimit_headers = ratelimit_headers
        self.users: dict[int, dict] = {}
        self.members: dict[int, dict] = {}
        self.requests: list[Recorded] = []
        self.unhandled: list[Recorded] = []
        self.gateway_received: list[dict] = []  # every frame the bot sent (heartbeats included)
        self.sessions: list[GatewaySession] = []
        self.connections = 0
        self.compression: list[str | None] = []  # the compress= each gateway connection asked for
        self.messages: dict[int, dict] = {}
        self.interactions: dict[int, Interaction] = {}
        self.commands: dict[tuple[int | None, str], dict] = {}  # (guild_id or None, name) -> command
        self.faults: list[Fault] = []
        self.buckets: dict[str, Bucket] = {}  # route -> enforced rate limit (see limit_route)
        self.dispatched_at: dict[int, float] = {}  # message/interaction id -> loop time
        self.extra_channels: dict[int, dict] = {}  # threads and forums created during a test (fake_conversations.py)
        self.deny_threads = False  # answer POST .../threads with 403 Missing Permissions
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Roles (id -> permission bits; the @everyone role's id is the guild's) and channel overwrites,
        # sent in GUILD_CREATE and enforced on the bot's requests.
        self.roles: dict[int, dict] = {self.world.guild_id: P.role(self.world.guild_id, "@everyone", P.EVERYONE_PERMISSIONS)}
        self.overwrites: dict[int, list[dict]] = {}
        self.extra_guilds: dict[int, Any] = {}  # guild id -> fake_guilds.ExtraGuild (add_guild)
        self.add_user("owner", user_id=self.world.owner_id)
        self.members[self.world.bot_user_id] = P.member(self.world.bot_user())

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> "FakeDiscord":
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        self._routes(app)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for s in self.sessions:
            if s.conn is not None and not s.conn.ws.closed:
                await s.conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return self.base + API

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ people
    def add_user(self, name: str, *, user_id: int | None = None) -> dict:
        uid = user_id or self.ids.next()
        u = P.user(uid, name)
        self.users[uid] = u
        self.members[uid] = P.member(u)
        return u

    # ------------------------------------------------------------------ roles and permissions
    def set_everyone_permissions(self, permissions: int) -> None:
        self.roles[self.world.guild_id] = P.role(self.world.guild_id, "@everyone", permissions)

    def add_role(self, name: str, permissions: int, *, bot: bool = False) -> int:
        """A role (given to the bot with ``bot=True``); returns its id. Set before the bot connects."""
        rid = self.ids.next()
        self.roles[rid] = dict(P.role(rid, name, permissions), position=len(self.roles))
        if bot:
            self.members[self.world.bot_user_id]["roles"].append(str(rid))
        return rid

    def overwrite(self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0, member: bool = False) -> None:
        """A channel permission overwrite for a role (or a member)."""
        self.overwrites.setdefault(channel_id, []).append(
            {"id": str(target_id), "type": 1 if member else 0, "allow": str(allow), "deny": str(deny)})

    def bot_permissions(self, channel_id: int) -> int:
        from .fake_permissions import effective

        bits = {rid: int(r["permissions"]) for rid, r in self.roles.items()}
        member_roles = [int(r) for r in self.members[self.world.bot_user_id]["roles"]]
        return effective(bits, self.world.guild_id, member_roles, self.world.bot_user_id,
                         self.overwrites.get(channel_id, []))

    def guild_payload(self, members: list[dict]) -> dict:
        return self.world.guild_create(members, roles=list(self.roles.values()), overwrites=self.overwrites)

    # ------------------------------------------------------------------ waiting
    def _bump(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str = "condition") -> Any:
        """Wait (bounded) until ``predicate()`` is truthy; re-checked on every server event."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), min(remaining, 0.25))
            except asyncio.TimeoutError:
                pass

    async def quiet(self, period: float = 0.3, timeout: float = 5.0) -> None:
        """Wait (bounded) until no REST request arrived for ``period`` seconds: lets duplicates show up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            last = self.requests[-1].at if self.requests else 0.0
            idle = loop.time() - last
            if idle >= period:
                return
            await asyncio.sleep(period - idle)
        raise AssertionError(f"the bot kept sending requests for {timeout}s")

    @property
    def session(self) -> GatewaySession | None:
        return self.sessions[-1] if self.sessions else None

    def is_ready(self) -> bool:
        s = self.session
        return bool(s and s.valid and s.conn is not None and any(e[1]["t"] == "GUILD_CREATE" for e in s.events))

    async def wait_ready(self, timeout: float = 10.0) -> GatewaySession:
        await self.wait_until(self.is_ready, timeout, "the bot to IDENTIFY and receive GUILD_CREATE")
        return self.session  # type: ignore[return-value]

    async def wait_connected(self, timeout: float = 10.0) -> GatewaySession:
        """A live connection on a valid session (after IDENTIFY or RESUME)."""
        await self.wait_until(
            lambda: self.session and self.session.valid and self.session.conn is not None, timeout, "a live gateway session"
        )
        return self.session  # type: ignore[return-value]

    # ------------------------------------------------------------------ faults
    def fail_next(self, route: str, status: int, *, retry_after: float = 0.0, count: int = 1, is_global: bool = False) -> Fault:
        """Answer the next ``count`` requests on ``route`` ("POST /channels/{channel_id}/messages") with ``status``."""
        fault = Fault(route=route, status=status, retry_after=retry_after, count=count, is_global=is_global)
        self.faults.append(fault)
        return fault

    def limit_route(self, route: str, limit: int, per: float) -> Bucket:
        """Enforce a rate limit on ``route`` per channel/webhook, with real X-RateLimit headers and 429s."""
        bucket = self.buckets[route] = Bucket(limit, per)
        return bucket

    def _visible_message(self, s: GatewaySession, msg: dict) -> dict | None:
        """What Discord would deliver for ``msg`` given the session's intents."""
        in_guild = "guild_id" in msg
        needed = P.INTENT_GUILD_MESSAGES if in_guild else P.INTENT_DIRECT_MESSAGES
        if not s.intents & needed:
            return None
        mentioned = any(m["id"] == str(self.world.bot_user_id) for m in msg.get("mentions", []))
        own = msg["author"]["id"] == str(self.world.bot_user_id)
        if in_guild and not (s.intents & P.INTENT_MESSAGE_CONTENT) and not mentioned and not own:
            msg = dict(msg, content="", embeds=[], attachments=[], components=[])
        return msg

    async def send_message(
        self, author_id: int, content: str, *, mention_bot: bool = False, channel_id: int | None = None,
        reply_to: int | None = None, message_id: int | None = None,
    ) -> int:
        """A user posts ``content`` in a guild channel (``reply_to``: as a reply to that message); returns its id."""
        author = self.users[author_id]
        mentions = [self.world.bot_user()] if mention_bot else []
        mid = message_id or self.ids.next()
        channel_id = channel_id or self.world.channel_id
        msg = P.message(
            mid,
            channel_id,
            self.guild_of(channel_id),
            author,
            content,
            mentions=mentions,
            author_member=self.members[author_id],
            message_reference=self.reference_to(reply_to, channel_id) if reply_to else None,
        )
        if reply_to:
            msg["referenced_message"] = self.messages.get(reply_to)
        self.messages[mid] = msg
        self.dispatched_at[mid] = asyncio.get_running_loop().time()
        s = self.session_for_guild(self.guild_of(channel_id))
        visible = self._visible_message(s, msg) if s is not None else msg
        if visible is not None:
            await self.dispatch("MESSAGE_CREATE", visible)
        return mid

    async def send_mention(self, author_id: int, text: str, **kw: Any) -> int:
        """A user mentions the bot: ``<@bot> text``."""
        content = f"<@{self.world.bot_user_id}> {text}" if text else f"<@{self.world.bot_user_id}>"
        return await self.send_message(author_id, content, mention_bot=True, **kw)

    def _interaction_base(self, itype: int, user_id: int, data: dict, channel_id: int | None,
                          permissions: int = P.EVERYONE_PERMISSIONS) -> tuple[dict, Interaction]:
        iid = self.ids.next()
        token = "itk_" + secrets.token_urlsafe(24)
        cid = channel_id or self.world.channel_id
        gid = self.guild_of(cid)
        member = dict(self.members[user_id], permissions=str(permissions))
        payload = {
            "id": str(iid),
            "application_id": str(self.world.application_id),
            "type": itype,
            "data": data,
            "guild_id": str(gid),
            "guild": {"id": str(gid), "locale": "en-US", "features": []},
            "channel_id": str(cid),
            "channel": P.text_channel(cid, gid),
            "member": member,
            "token": token,
            "version": 1,
            "app_permissions": str(P.EVERYONE_PERMISSIONS),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(gid)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        now = asyncio.get_running_loop().time()
        record = Interaction(id=iid, token=token, type=itype, user_id=user_id, channel_id=cid, dispatched_at=now)
        self.interactions[iid] = record
        self.dispatched_at[iid] = now
        return payload, record

    def command(self, name: str) -> dict:
        """The command the bot synced under ``name`` (guild first, then global)."""
        cmd = self.commands.get((self.world.guild_id, name)) or self.commands.get((None, name))
        if cmd is None:
            synced = sorted(n for _, n in self.commands)
            raise AssertionError(f"the bot never synced a /{name} command (synced: {synced})")
        return cmd

    async def send_slash(
        self, user_id: int, name: str, options: dict[str, Any] | None = None, *, channel_id: int | None = None,
        subcommand: str | None = None, permissions: int = P.EVERYONE_PERMISSIONS,
    ) -> Interaction:
        """A user runs ``/name`` with ``options``, using the id the bot's command sync got back."""
        cmd = self.command(name)
        declared = cmd.get("options", [])
        if subcommand is not None:  # a command group: /name subcommand options…
            declared = next(o for o in declared if o["name"] == subcommand).get("options", [])
        types = {o["name"]: o.get("type", 3) for o in declared}
        given = [{"name": k, "type": types.get(k, 3), "value": v} for k, v in (options or {}).items()]
        data = {
            "id": cmd["id"],
            "name": name,
            "type": 1,
            "options": [{"name": subcommand, "type": 1, "options": given}] if subcommand is not None else given,
        }
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        payload, record = self._interaction_base(2, user_id, data, channel_id, permissions)
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def click(self, user_id: int, message_id: int, custom_id: str) -> Interaction:
        """A user clicks the button ``custom_id`` on the bot's message ``message_id``."""
        msg = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        payload, record = self._interaction_base(3, user_id, data, int(msg["channel_id"]))
        payload["message"] = msg
        record.message_id = message_id
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    # ------------------------------------------------------------------ queries for tests
    def ok(self, route: str) -> list[Recorded]:
        return [r for r in self.requests if r.route == route and 200 <= r.status < 300]

    def channel_posts(self) -> list[Recorded]:
        return self.ok("POST /channels/{channel_id}/messages")

    def replies_to(self, message_id: int) -> list[Recorded]:
        """Successful channel messages that reply to ``message_id`` (by message_reference)."""
        return [
            r
            for r in self.channel_posts()
            if str((r.json or {}).get("message_reference", {}).get("message_id")) == str(message_id)
        ]

    def interaction_requests(self, interaction: Interaction) -> list[Recorded]:
        """Callback, edits of the original and follow-ups for one interaction (all statuses)."""
        out = []
        for r in self.requests:
            if r.params.get("interaction_id") == str(interaction.id) or r.params.get("token") == interaction.token:
                out.append(r)
        return out

    def interaction_messages(self, interaction: Interaction) -> list[dict]:
        """The message bodies the bot sent for an interaction: callback type 4/7 data, edits and follow-ups."""
        bodies = []
        for r in self.interaction_requests(interaction):
            if not 200 <= r.status < 300 or r.json is None:
                continue
            if r.route.endswith("/callback"):
                if r.json.get("type") in (CB_MESSAGE, CB_UPDATE):
                    bodies.append(r.json.get("data") or {})
            elif r.method in ("PATCH", "POST"):
                bodies.append(r.json)
        return bodies
