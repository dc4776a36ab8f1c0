"""The REST half of the loopback Discord (API v10): the routes the bot uses, the recorder, injected
faults (429 with retry_after, 5xx) and optional Discord-style rate-limit buckets."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as P

if TYPE_CHECKING:
    from .discord_server import Interaction

API = "/api/v10"

# Interaction callback types
CB_PONG, CB_MESSAGE, CB_DEFERRED_MESSAGE, CB_DEFERRED_UPDATE, CB_UPDATE, CB_AUTOCOMPLETE, CB_MODAL = 1, 4, 5, 6, 7, 8, 9
EPHEMERAL = 1 << 6
LOADING = 1 << 7

BODY = web.RequestKey("body", object)  # the parsed JSON body, set by the middleware


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Like Discord: ``Content-Type: application/json`` exactly (discord.py compares the header verbatim)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": "application/json"}
    )


@dataclass
class Recorded:
    """One REST request the bot made."""

    method: str
    path: str  # without the /api/v10 prefix
    route: str  # "POST /channels/{channel_id}/messages"
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    at: float  # event-loop time when the server received it
    authorization: str | None
    status: int = 0
    response: Any = None
    fault: str | None = None  # set when the response was an injected fault


@dataclass
class Fault:
    route: str
    status: int
    retry_after: float = 0.0
    count: int = 1
    is_global: bool = False
    hits: int = 0


@dataclass
class Bucket:
    """A Discord-style rate-limit bucket: ``limit`` requests per ``per`` seconds, per major parameter."""

    limit: int
    per: float
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)  # major param -> (window start, used)
    limited: int = 0  # how many requests got a 429

    def take(self, key: str, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining, reset_after) for one request at ``now``."""
        start, used = self.windows.get(key, (now, 0))
        if now - start >= self.per:
            start, used = now, 0
        reset_after = max(0.0, start + self.per - now)
        if used >= self.limit:
            self.limited += 1
            return False, 0, reset_after
        self.windows[key] = (start, used + 1)
        return True, self.limit - used - 1, reset_after


class RestMixin:
    """REST behaviour of :class:`~.discord_server.FakeDiscord` (state lives there)."""

    # ------------------------------------------------------------------ HTTP plumbing
    def _rl_headers(self, route: str) -> dict[str, str]:
        if not self.ratelimit_headers:
            return {}
        return {
            "X-RateLimit-Limit": "50",
            "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Reset": "0",
            "X-RateLimit-Bucket": format(abs(hash(route)) & 0xFFFFFFFF, "08x"),
        }

    def _json(self, route: str, data: Any, status: int = 200) -> web.Response:
        if data is None:
            return web.Response(status=204, headers=self._rl_headers(route))
        return json_response(data, status=status, headers=self._rl_headers(route))

    @staticmethod
    def _error(status: int, message: str, code: int = 0) -> web.Response:
        return json_response({"message": message, "code": code}, status=status)

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            body = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": fault.is_global}
            headers = {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(fault.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
                "X-RateLimit-Scope": "shared" if not fault.is_global else "global",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return json_response(body, status=429, headers=headers)
        return self._error(fault.status, f"{fault.status}: injected fault")

    def _take_fault(self, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.route == route and fault.hits < fault.count:
                fault.hits += 1
                return fault
        return None

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        resource = request.match_info.route.resource
        template = resource.canonical[len(API):] if resource is not None else request.path[len(API):]
        route = f"{request.method} {template}"
        body: Any = None
        if request.can_read_body:
            if request.content_type.startswith("multipart/"):
                form = await request.post()
                raw = form.get("payload_json")
                body = json.loads(raw) if isinstance(raw, str) else None
            else:
                text = await request.text()
                body = json.loads(text) if text else None
        rec = Recorded(
            method=request.method,
            path=request.path[len(API):],
            route=route,
            params=dict(request.match_info),
            query=dict(request.query),
            json=body,
            at=asyncio.get_running_loop().time(),
            authorization=request.headers.get("Authorization"),
        )
        request[BODY] = body
        fault = self._take_fault(route)
        bucket = self.buckets.get(route)
        limited: tuple[bool, int, float] | None = None
        if bucket is not None and fault is None:
            major = request.match_info.get("channel_id") or request.match_info.get("token") or ""
            limited = bucket.take(major, rec.at)
            if not limited[0]:
                fault = Fault(route=route, status=429, retry_after=round(limited[2], 3))
        try:
            if fault is not None:
                rec.fault = "rate limit" if limited is not None else f"{fault.status}"
                response = self._fault_response(fault)
            elif resource is None:
                response = self._error(404, "404: Not Found")
                self.unhandled.append(rec)
            elif not self._authorized(request, template):
                response = self._error(401, "401: Unauthorized")
            else:
                response = await handler(request)
        except web.HTTPException as exc:
            response = self._error(exc.status, exc.reason)
            self.unhandled.append(rec)
        if limited is not None and limited[0] and isinstance(response, web.Response):
            response.headers.update({
                "X-RateLimit-Limit": str(bucket.limit),
                "X-RateLimit-Remaining": str(limited[1]),
                "X-RateLimit-Reset-After": f"{limited[2]:.3f}",
                "X-RateLimit-Reset": f"{time.time() + limited[2]:.3f}",
                "X-RateLimit-Bucket": format(abs(hash(route)) & 0xFFFFFFFF, "08x"),
            })
        rec.status = response.status
        if isinstance(response, web.Response) and response.body is not None and response.content_type == "application/json":
            rec.response = json.loads(response.body)
        self.requests.append(rec)
        self._bump()
        return response

    def _authorized(self, request: web.Request, template: str) -> bool:
        if template.startswith(("/webhooks/", "/interactions/")):
            return True  # authorised by the interaction token in the path
        return request.headers.get("Authorization") == f"Bot {self.token}"

    def _routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/gateway", self._gateway)
        r.add_get(API + "/gateway", self._get_gateway)
        r.add_get(API + "/gateway/bot", self._get_gateway_bot)
        r.add_get(API + "/users/@me", self._get_me)
        r.add_get(API + "/users/{user_id}", self._get_user)
        r.add_get(API + "/oauth2/applications/@me", self._get_app)
        r.add_get(API + "/applications/@me", self._get_app)
        r.add_put(API + "/applications/{application_id}/commands", self._put_commands)
        r.add_get(API + "/applications/{application_id}/commands", self._get_commands)
        r.add_put(API + "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands)
        r.add_get(API + "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands)
        r.add_get(API + "/channels/{channel_id}", self._get_channel)
        r.add_post(API + "/channels/{channel_id}/messages", self._create_message)
        r.add_get(API + "/channels/{channel_id}/messages/{message_id}", self._get_message)
        r.add_patch(API + "/channels/{channel_id}/messages/{message_id}", self._edit_message)
        r.add_delete(API + "/channels/{channel_id}/messages/{message_id}", self._delete_message)
        r.add_post(API + "/channels/{channel_id}/typing", self._typing)
        r.add_put(API + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content)
        r.add_delete(API + "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", self._no_content)
        self._conversation_routes(r)  # threads, history, channel edits (fake_conversations.py)
        r.add_post(API + "/interactions/{interaction_id}/{token}/callback", self._interaction_callback)
        r.add_post(API + "/webhooks/{application_id}/{token}", self._followup)
        r.add_get(API + "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_get)
        r.add_patch(API + "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_edit)
        r.add_delete(API + "/webhooks/{application_id}/{token}/messages/{message_id}", self._webhook_delete)

    # ------------------------------------------------------------------ REST handlers
    async def _get_gateway(self, request: web.Request) -> web.Response:
        return self._json("GET /gateway", {"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return self._json("GET /gateway/bot", {"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _get_me(self, request: web.Request) -> web.Response:
        return self._json("GET /users/@me", dict(self.world.bot_user(), verified=True, mfa_enabled=False, flags=0))

    async def _get_user(self, request: web.Request) -> web.Response:
        u = self.users.get(int(request.match_info["user_id"]))
        return self._json("GET /users", u) if u else self._error(404, "Unknown User", 10013)

    async def _get_app(self, request: web.Request) -> web.Response:
        return self._json("GET /applications/@me", P.application_info(self.world))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["application_id"] != str(self.world.application_id):
            return self._error(403, "Missing Access", 50001)
        guild = request.match_info.get("guild_id")
        gid = int(guild) if guild else None
        for key in [k for k in self.commands if k[0] == gid]:
            del self.commands[key]
        out = []
        for cmd in request[BODY] or []:
            if not cmd.get("description") and cmd.get("type", 1) == 1:
                return self._error(400, "Invalid Form Body", 50035)
            stored = dict(cmd, id=str(self.ids.next()), application_id=str(self.world.application_id), version="1")
            stored.setdefault("type", 1)
            stored.setdefault("description", "")  # Discord returns "" for user and message commands
            if gid is not None:
                stored["guild_id"] = str(gid)
            self.commands[(gid, cmd["name"])] = stored
            out.append(stored)
        return self._json("PUT commands", out)

    async def _get_commands(self, request: web.Request) -> web.Response:
        guild = request.match_info.get("guild_id")
        gid = int(guild) if guild else None
        return self._json("GET commands", [c for (g, _), c in self.commands.items() if g == gid])

    async def _get_channel(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        if cid in self.extra_channels:
            return self._json("GET /channels", self.extra_channels[cid])
        if not self.known_channel(cid):
            return self._error(404, "Unknown Channel", 10003)
        return self._json("GET /channels", P.text_channel(cid, self.guild_of(cid)))

    async def _no_content(self, request: web.Request) -> web.Response:
        return self._json("no content", None)

    def _bot_message(self, channel_id: int, body: dict, **extra: Any) -> dict:
        ref = body.get("message_reference")
        msg = P.message(
            self.ids.next(),
            channel_id,
            None if self.is_dm(channel_id) else self.guild_of(channel_id),
            self.world.bot_user(),
            body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            message_reference=self.reference_to(int(ref["message_id"]), channel_id) if ref else None,
            flags=body.get("flags") or 0,
            **extra,
        )
        self.messages[int(msg["id"])] = msg
        return msg

    async def _echo(self, msg: dict) -> None:
        """Discord sends the bot its own (non-ephemeral) messages back as MESSAGE_CREATE."""
        s = self.session_for_guild(int(msg["guild_id"]) if "guild_id" in msg else None)
        if s is None or not s.valid or msg.get("flags", 0) & EPHEMERAL:
            return
        visible = self._visible_message(s, msg)
        if visible is not None:
            await self.dispatch("MESSAGE_CREATE", visible)

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel_id"])
        body = request[BODY] or {}
        if not self.known_channel(cid) and not self._writable(cid):
            return self._error(404, "Unknown Channel", 10003)
        if not (body.get("content") or body.get("embeds") or body.get("components") or body.get("sticker_ids")):
            return self._error(400, "Cannot send an empty message", 50006)
        if len(body.get("content") or "") > 2000:
            return self._error(400, "Invalid Form Body", 50035)
        ref = body.get("message_reference")
        missing = self._missing_permission(cid, body)
        if missing:
            return self._error(403, f"Missing Permissions ({missing})", 50013)
        if ref and int(ref["message_id"]) not in self.messages and ref.get("fail_if_not_exists", True):
            return self._error(400, "Invalid Form Body: Unknown message", 50035)
        msg = self._bot_message(cid, body)
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._echo(msg)))
        return self._json("POST /channels/{channel_id}/messages", msg)

    def _missing_permission(self, channel_id: int, body: dict | None) -> str | None:
        """Which permission the bot lacks for this channel message (None when it may send it)."""
        have = self.bot_permissions(channel_id)
        if not have & P.PERM_VIEW_CHANNEL:
            return "View Channel"
        if not have & P.PERM_SEND_MESSAGES:
            return "Send Messages"
        if body is not None and body.get("embeds") and not have & P.PERM_EMBED_LINKS:
            return "Embed Links"
        if body is not None and body.get("message_reference") and not have & P.PERM_READ_MESSAGE_HISTORY:
            return "Read Message History"
        return None

    async def _typing(self, request: web.Request) -> web.Response:
        if self._missing_permission(int(request.match_info["channel_id"]), None):
            return self._error(403, "Missing Permissions", 50013)
        return self._json("no content", None)

    async def _get_message(self, request: web.Request) -> web.Response:
        msg = self.messages.get(int(request.match_info["message_id"]))
        return self._json("GET message", msg) if msg else self._error(404, "Unknown Message", 10008)

    async def _edit_message(self, request: web.Request) -> web.Response:
        mid = int(request.match_info["message_id"])
        msg = self.messages.get(mid)
        if msg is None:
            return self._error(404, "Unknown Message", 10008)
        if self._archived(int(msg["channel_id"])):
            return self._error(400, "Thread is archived", 50083)
        msg.update({k: v for k, v in (request[BODY] or {}).items() if k in ("content", "embeds", "components", "flags")})
        msg["edited_timestamp"] = P.iso_now()
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self.dispatch_update(msg)))
        return self._json("PATCH message", msg)

    def _interaction_by_token(self, token: str) -> Interaction | None:
        for it in self.interactions.values():
            if it.token == token:
                return it
        return None

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        it = self.interactions.get(int(request.match_info["interaction_id"]))
        if it is None or it.token != request.match_info["token"]:
            return self._error(404, "Unknown interaction", 10062)
        if it.acknowledged:
            return self._error(400, "Interaction has already been acknowledged.", 40060)
        if asyncio.get_running_loop().time() - it.dispatched_at > self.interaction_deadline:
            return self._error(404, "Unknown interaction", 10062)
        body = request[BODY] or {}
        ctype = body.get("type")
        data = body.get("data") or {}
        it.acknowledged = True
        resource: dict[str, Any] = {"type": ctype}
        if ctype in (CB_MESSAGE, CB_DEFERRED_MESSAGE):
            flags = data.get("flags") or 0
            if ctype == CB_DEFERRED_MESSAGE:
                flags |= LOADING
            msg = self._bot_message(
                it.channel_id,
                dict(data, flags=flags),
                interaction_metadata={"id": str(it.id), "type": it.type, "user": self.users[it.user_id]},
                webhook_id=self.world.application_id,
            )
            it.original_message_id = int(msg["id"])
            resource["message"] = msg
            if ctype == CB_MESSAGE:
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._echo(msg)))
        elif ctype in (CB_UPDATE, CB_DEFERRED_UPDATE):
            if it.message_id is None:
                it.acknowledged = False
                return self._error(400, "Interaction has no message to update", 50035)
            it.original_message_id = it.message_id
            msg = self.messages[it.message_id]
            if ctype == CB_UPDATE:
                msg.update({k: v for k, v in data.items() if k in ("content", "embeds", "components", "flags")})
                msg["edited_timestamp"] = P.iso_now()
            resource["message"] = msg
        elif ctype not in (CB_MODAL, CB_AUTOCOMPLETE, CB_PONG):
            it.acknowledged = False
            return self._error(400, f"Invalid interaction response type {ctype}", 50035)
        if request.query.get("with_response") not in ("1", "true", "True"):
            return self._json("callback", None)
        interaction = {
            "id": str(it.id),
            "type": it.type,
            "response_message_id": str(it.original_message_id) if it.original_message_id else None,
            "response_message_loading": ctype == CB_DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
        }
        return self._json("callback", {"interaction": interaction, "resource": resource})

    async def _followup(self, request: web.Request) -> web.Response:
        it = self._interaction_by_token(request.match_info["token"])
        if it is None or request.match_info["application_id"] != str(self.world.application_id):
            return self._error(404, "Unknown Webhook", 10015)
        if not it.acknowledged:
            return self._error(404, "Unknown Webhook", 10015)  # Discord: follow-ups need an acknowledged interaction
        body = request[BODY] or {}
        if not (body.get("content") or body.get("embeds") or body.get("components")):
            return self._error(400, "Cannot send an empty message", 50006)
        msg = self._bot_message(it.channel_id, body, webhook_id=self.world.application_id)
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._echo(msg)))
        if request.query.get("wait") in ("true", "1", "True"):
            return self._json("followup", msg)
        return self._json("followup", None)

    def _webhook_message(self, request: web.Request) -> tuple[Interaction | None, dict | None]:
        it = self._interaction_by_token(request.match_info["token"])
        if it is None:
            return None, None
        mid = request.match_info["message_id"]
        if mid == "@original":
            if it.original_message_id is None:
                return it, None
            return it, self.messages.get(it.original_message_id)
        return it, self.messages.get(int(mid))

    async def _webhook_get(self, request: web.Request) -> web.Response:
        it, msg = self._webhook_message(request)
        if it is None or msg is None:
            return self._error(404, "Unknown Message", 10008)
        return self._json("webhook get", msg)

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        it, msg = self._webhook_message(request)
        if it is None:
            return self._error(404, "Unknown Webhook", 10015)
        if msg is None:
            return self._error(404, "Unknown Message", 10008)
        body = request[BODY] or {}
        msg.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
        msg["flags"] = msg.get("flags", 0) & ~LOADING
        msg["edited_timestamp"] = P.iso_now()
        return self._json("webhook edit", msg)

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        it, msg = self._webhook_message(request)
        if it is None or msg is None:
            return self._error(404, "Unknown Message", 10008)
        self.messages.pop(int(msg["id"]), None)
        return self._json("webhook delete", None)
