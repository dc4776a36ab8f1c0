"""Per-server settings: the TOML ``[discord]`` values are the operator's defaults, a server overrides some.

Generic by design: a server's override is a key/value row in the database
(bot/discord/state.py) for a :class:`~bot.config.DiscordConfig` field named in
:data:`EDITABLE`, and :meth:`GuildSettings.config_for` returns the effective
``DiscordConfig`` for a server (``dataclasses.replace`` of the defaults), so
every handler reads ``cfg.<key>`` as before, now per server. Changes take
effect immediately: the cache is dropped on every write here, and whenever
another process (another shard) commits (SQLite's ``data_version``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.config import _RANGES, DiscordConfig
from bot.discord.state import StateDB

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Editable:
    kind: str  # "channels", "bool", "int" or "float"
    label: str


# What a server's admins may change with /config (everything else stays the operator's).
EDITABLE: dict[str, Editable] = {
    "channel_ids": Editable("channels", "Answer only in these channels (and their threads); none = everywhere"),
    "muted_channel_ids": Editable("channels", "Never answer in these channels (and their threads)"),
    "forum_channel_ids": Editable("channels", "Forum channels whose new posts get an answer"),
    "answer_in_thread": Editable("bool", "Answer mentions in a new thread"),
    "results_per_page": Editable("int", "Citations per answer and per More results page"),
    "cooldown_questions": Editable("int", "Questions per user…"),
    "cooldown_seconds": Editable("float", "…per this many seconds (0 = no cooldown)"),
    "acknowledge_small_talk": Editable("bool", "Reply \"You're welcome!\" to small talk"),
}
SCALARS = [key for key, e in EDITABLE.items() if e.kind != "channels"]


def parse_value(key: str, text: str) -> Any:
    """A /config value typed by a person -> the setting's value; ValueError with a readable reason."""
    spec = EDITABLE[key]
    raw = text.strip().lower()
    if spec.kind == "bool":
        if raw in ("on", "true", "yes", "1"):
            return True
        if raw in ("off", "false", "no", "0"):
            return False
        raise ValueError(f"{key} is on or off, not {text.strip()!r}")
    try:
        value: Any = int(raw) if spec.kind == "int" else float(raw)
    except ValueError:
        raise ValueError(f"{key} is a {'whole ' if spec.kind == 'int' else ''}number, not {text.strip()!r}") from None
    low, high = _RANGES.get(("discord", key), (float("-inf"), float("inf")))
    if not low <= value <= high:
        raise ValueError(f"{key} must be between {low:g} and {high:g}")
    return value


def _coerce(key: str, value: Any) -> Any:
    """A stored value checked again on read (a bad row is ignored, never crashes a handler)."""
    spec = EDITABLE.get(key)
    if spec is None:
        raise ValueError(f"unknown setting {key}")
    if spec.kind == "channels":
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{key} must be a list of channel ids")
        return tuple(value)
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    return parse_value(key, str(value))


def effective(defaults: DiscordConfig, overrides: dict[str, Any]) -> DiscordConfig:
    """The server's configuration: ``defaults`` with its valid overrides applied."""
    changes = {}
    for key, value in overrides.items():
        try:
            changes[key] = _coerce(key, value)
        except ValueError as exc:
            log.warning("ignoring a stored server setting: %s", exc)
    return dataclasses.replace(defaults, **changes) if changes else defaults


class GuildSettings:
    """Effective per-server configuration, cached until something changes."""

    def __init__(self, db: StateDB, defaults: DiscordConfig):
        self.db = db
        self.defaults = defaults
        self._cache: dict[int, DiscordConfig] = {}
        self._version: int | None = None

    def config_for(self, guild_id: int | None) -> DiscordConfig:
        """The configuration that applies in ``guild_id`` (the defaults in DMs)."""
        if guild_id is None:
            return self.defaults
        version = self.db.data_version()
        if version != self._version:  # another process changed the database
            self._cache.clear()
            self._version = version
        cfg = self._cache.get(guild_id)
        if cfg is None:
            cfg = self._cache[guild_id] = effective(self.defaults, self.db.guild_settings(guild_id))
        return cfg

    def overrides(self, guild_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.db.guild_settings(guild_id).items() if k in EDITABLE}

    def set(self, guild_id: int, key: str, value: Any) -> None:
        if key not in EDITABLE:
            raise ValueError(f"unknown setting {key}")
        if EDITABLE[key].kind == "channels":
            value = sorted({int(v) for v in value})
        else:
            _coerce(key, value)
        self.db.set_guild_setting(guild_id, key, value)
        self._cache.pop(guild_id, None)

    def reset(self, guild_id: int, key: str) -> bool:
        done = self.db.reset_guild_setting(guild_id, key)
        self._cache.pop(guild_id, None)
        return done

    def set_channel(self, guild_id: int, key: str, channel_id: int, on: bool,
                    belongs: Callable[[int], bool]) -> None:
        """Add (``on``) or remove a channel in a server's channel list.

        The list starts from the effective one, keeping only the channels that
        ``belongs`` to this server, so an operator default naming other servers'
        channels never leaks into (or shows up in) this server's settings.
        """
        current = {c for c in getattr(self.config_for(guild_id), key) if belongs(c)}
        current.add(channel_id) if on else current.discard(channel_id)
        self.set(guild_id, key, current)
