"""More than one guild, and gateway shards, for the loopback Discord.

Discord routes a guild's events to shard ``(guild_id >> 22) % shard_count``
(https://discord.com/developers/docs/topics/gateway#sharding); a session that
IDENTIFYs with ``"shard": [id, count]`` gets READY and GUILD_CREATE for its
guilds only, and each shard keeps its own session (another shard's IDENTIFY
does not end it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import payloads as P


@dataclass
class ExtraGuild:
    guild_id: int
    name: str
    channel_ids: list[int] = field(default_factory=list)


def shard_of(guild_id: int, count: int) -> int:
    return (guild_id >> 22) % count


class GuildsMixin:
    """Extra guilds and per-shard sessions of :class:`~.discord_server.FakeDiscord` (state lives there)."""

    def add_guild(self, name: str, *, shard: tuple[int, int] | None = None) -> tuple[int, int]:
        """Another guild with one text channel (on shard ``(id, count)`` if given); returns (guild id, channel id)."""
        gid = self.ids.next()
        while shard is not None and shard_of(gid, shard[1]) != shard[0]:
            gid += 1 << 22  # a snowflake one millisecond later, same counter bits
        cid = self.ids.next()
        self.extra_guilds[gid] = ExtraGuild(gid, name, [cid])
        return gid, cid

    def guild_of(self, channel_id: int | None) -> int:
        for guild in self.extra_guilds.values():
            if channel_id in guild.channel_ids:
                return guild.guild_id
        return self.world.guild_id

    def known_channel(self, channel_id: int) -> bool:
        return channel_id in (self.world.channel_id, self.world.other_channel_id) or any(
            channel_id in g.channel_ids for g in self.extra_guilds.values())

    def extra_guild_payload(self, guild: ExtraGuild, members: list[dict]) -> dict:
        payload = self.world.guild_create(members)
        payload.update(id=str(guild.guild_id), name=guild.name,
                       roles=[P.role(guild.guild_id, "@everyone", P.EVERYONE_PERMISSIONS)],
                       channels=[P.text_channel(c, guild.guild_id, f"{guild.name}-general", i)
                                 for i, c in enumerate(guild.channel_ids)])
        return payload

    def guilds_for(self, shard: tuple[int, int] | None) -> list[int]:
        ids = [self.world.guild_id, *self.extra_guilds]
        return ids if shard is None else [g for g in ids if shard_of(g, shard[1]) == shard[0]]

    def guild_payloads(self, shard: tuple[int, int] | None, members: list[dict]) -> list[dict]:
        out = []
        for gid in self.guilds_for(shard):
            extra = self.extra_guilds.get(gid)
            out.append(self.guild_payload(members) if extra is None else self.extra_guild_payload(extra, members))
        return out

    def session_for_guild(self, guild_id: int | None):
        """The live session that receives ``guild_id``'s events (the latest session when unsharded)."""
        if guild_id is not None:
            for s in reversed(self.sessions):
                shard = s.shard
                if s.valid and shard is not None and shard_of(guild_id, shard[1]) == shard[0]:
                    return s
        return self.session

    def shard_sessions(self) -> dict[int, object]:
        """shard id -> its live session."""
        return {s.shard[0]: s for s in self.sessions if s.valid and s.shard is not None}
