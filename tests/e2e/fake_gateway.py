"""The gateway half of the loopback Discord: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats,
RESUME with replay of missed events, INVALID_SESSION, RECONNECT, member chunks, and zlib/zstd
transport compression (whichever discord.py asks for)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Callable

from aiohttp import WSMsgType, web

from . import payloads as P

_log = logging.getLogger(__name__)

# Gateway opcodes
OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE = 0, 1, 2, 3
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11


@dataclass
class GatewaySession:
    id: str
    intents: int
    identify: dict
    seq: int = 0
    events: list[tuple[int, dict]] = field(default_factory=list)
    conn: "_Conn | None" = None
    valid: bool = True
    resumed: int = 0
    shard: tuple[int, int] | None = None  # (shard id, shard count) from IDENTIFY


def _zlib_stream() -> Callable[[bytes], bytes]:
    """One zlib context per connection; each message ends with a Z_SYNC_FLUSH (0000ffff) marker."""
    context = zlib.compressobj()
    return lambda data: context.compress(data) + context.flush(zlib.Z_SYNC_FLUSH)


def _zstd_stream() -> Callable[[bytes], bytes]:
    """One zstd stream per connection, flushed per message (discord.py asks only when it can decode zstd)."""
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+

        compressor = zstd.ZstdCompressor()
        return lambda data: compressor.compress(data, mode=zstd.ZstdCompressor.FLUSH_BLOCK)
    except ImportError:
        import zstandard  # type: ignore[import-not-found]

        stream = zstandard.ZstdCompressor().compressobj()
        return lambda data: stream.compress(data) + stream.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)


class _Conn:
    """One websocket connection, with the transport compression it asked for."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: str | None) -> None:
        self.ws = ws
        self.request = request
        self.compress = compress
        self._lock = asyncio.Lock()
        self._compress: Callable[[bytes], bytes] | None = None
        if compress == "zlib-stream":
            self._compress = _zlib_stream()
        elif compress == "zstd-stream":
            self._compress = _zstd_stream()
        self.session: GatewaySession | None = None

    async def send(self, obj: dict) -> None:
        text = json.dumps(obj, separators=(",", ":"))
        async with self._lock:
            if self.ws.closed:
                raise ConnectionResetError("websocket closed")
            if self._compress is not None:
                await self.ws.send_bytes(self._compress(text.encode()))
            else:
                await self.ws.send_str(text)


class GatewayMixin:
    """Gateway behaviour of :class:`~.discord_server.FakeDiscord` (state lives there)."""

    async def drop_gateway(self, *, code: int | None = None) -> None:
        """Cut the current websocket: abruptly (TCP reset, no close frame) or with a close ``code``."""
        s = self.session
        if s is None or s.conn is None:
            raise RuntimeError("no live gateway connection to drop")
        conn = s.conn
        s.conn = None
        if code is None:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
        else:
            await conn.ws.close(code=code)
        self._bump()

    def invalidate_session(self) -> None:
        """The next RESUME of the current session gets INVALID_SESSION (d=false)."""
        if self.session is not None:
            self.session.valid = False

    async def send_reconnect(self) -> None:
        """Ask the bot to reconnect (opcode 7), as Discord does before maintenance."""
        s = self.session
        assert s is not None and s.conn is not None
        await s.conn.send({"op": OP_RECONNECT, "d": None})

    # ------------------------------------------------------------------ dispatching events
    async def dispatch(self, event: str, data: dict, session: GatewaySession | None = None) -> int:
        """Send a DISPATCH on the session of the event's guild (buffered for RESUME if disconnected); returns its seq."""
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        s = session or self.session_for_guild(int(guild_id) if guild_id else None)
        if s is None or not s.valid:
            raise RuntimeError("no gateway session to dispatch to")
        s.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": s.seq, "d": data}
        s.events.append((s.seq, frame))
        if s.conn is not None:
            try:
                await s.conn.send(frame)
            except (ConnectionResetError, RuntimeError):
                s.conn = None  # replayed on RESUME
        self._bump()
        return s.seq

    # ------------------------------------------------------------------ gateway
    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("encoding", "json") != "json":
            return web.Response(status=400, text="only encoding=json is supported")
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream", "zstd-stream"):
            return web.Response(status=400, text=f"unsupported compress={compress}")
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = _Conn(ws, request, compress)
        self.connections += 1
        self.compression.append(compress)
        self._bump()
        try:
            await conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.gateway_received.append(frame)
                await self._on_frame(conn, frame)
                self._bump()
        except (ConnectionResetError, RuntimeError) as exc:
            _log.debug("gateway connection ended: %r", exc)
        finally:
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self._bump()
        return ws

    async def _on_frame(self, conn: _Conn, frame: dict) -> None:
        op, d = frame.get("op"), frame.get("d")
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK})
        elif op == OP_IDENTIFY:
            if d.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            await self._identify(conn, d)
        elif op == OP_RESUME:
            await self._resume(conn, d)
        elif op == OP_REQUEST_MEMBERS and conn.session is not None:
            await self.dispatch(
                "GUILD_MEMBERS_CHUNK",
                {
                    "guild_id": str(self.world.guild_id),
                    "members": list(self.members.values()),
                    "chunk_index": 0,
                    "chunk_count": 1,
                    "nonce": d.get("nonce"),
                },
            )
        # OP_PRESENCE and anything else: accepted silently

    async def _identify(self, conn: _Conn, d: dict) -> None:
        shard = tuple(d["shard"]) if d.get("shard") and d["shard"][1] > 1 else None
        for old in self.sessions:  # a new IDENTIFY ends the previous session of the same shard only
            if old.valid and (shard is None or old.shard is None or old.shard[0] == shard[0]):
                old.valid = False
                old.conn = None
        s = GatewaySession(id=secrets.token_hex(16), intents=int(d.get("intents", 0)), identify=d, shard=shard)
        s.conn = conn
        conn.session = s
        self.sessions.append(s)
        ready = {
            "v": 10,
            "user": dict(self.world.bot_user(), verified=True, mfa_enabled=False, flags=0),
            "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds_for(shard)],
            "session_id": s.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.world.application_id), "flags": 1 << 19},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "_trace": ["loopback-e2e"],
        }
        if shard is not None:
            ready["shard"] = list(shard)
        await self.dispatch("READY", ready, session=s)
        if s.intents & P.INTENT_GUILDS:
            members = list(self.members.values())
            for guild in self.guild_payloads(shard, members):
                await self.dispatch("GUILD_CREATE", guild, session=s)

    async def _resume(self, conn: _Conn, d: dict) -> None:
        s = next((x for x in self.sessions if x.id == d.get("session_id")), None)
        if s is None or not s.valid or d.get("token") != self.token:
            await conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        s.conn = conn
        conn.session = s
        s.resumed += 1
        last = d.get("seq") or 0
        for seq, frame in list(s.events):
            if seq > last:
                await conn.send(frame)
        await self.dispatch("RESUMED", {"_trace": ["loopback-e2e"]}, session=s)
