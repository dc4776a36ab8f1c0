"""Configuration: TOML loading (tomllib), defaults and validation with clear errors.

Every key has a default, so citebot works with no config file. The file is read
once at the edge and turned into plain frozen dataclasses; the retrieval core
only ever sees :class:`retrieval.settings.Settings`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from retrieval.settings import (
    DEFAULT_ALIASES,
    DEFAULT_BOILERPLATE_PATTERNS,
    AnalyzerSettings,
    AnswerSettings,
    BM25Settings,
    CorpusSettings,
    IndexSettings,
    Settings,
)

DEFAULT_CONFIG_FILE = "citebot.toml"



class ConfigError(ValueError):
    """The config file is missing, unreadable or invalid; the message names the key."""


@dataclass(frozen=True)
class DiscordConfig:
    """The ``[discord]`` section: how the bot connects and which policies apply."""

    token_env: str = "DISCORD_TOKEN"
    application_id: int = 0
    guild_ids: tuple[int, ...] = ()
    owner_ids: tuple[int, ...] = ()
    channel_ids: tuple[int, ...] = ()  # allowlist; empty = everywhere the bot can read
    muted_channel_ids: tuple[int, ...] = ()  # never answered in (nor their threads); servers add theirs with /config
    allow_dms: bool = False
    message_content_intent: bool = False
    prefix: str = "!ask"
    max_question_chars: int = 500
    cooldown_questions: int = 1
    cooldown_seconds: float = 5.0
    results_per_page: int = 3
    view_timeout_seconds: float = 3600.0
    state_dir: str = ".citebot"  # the database (settings, answers, votes), the salt, the command-sync state
    feedback_buttons: bool = True
    user_hash_salt_env: str = "CITEBOT_USER_SALT"
    # Conversations (issue 12): threads, forum posts, small talk, edits.
    answer_in_thread: bool = False
    forum_channel_ids: tuple[int, ...] = ()
    acknowledge_small_talk: bool = True
    edit_window_seconds: float = 600.0
    owner_reindex_cooldown_seconds: float = 300.0
    index_watch_seconds: float = 10.0  # how often to look for a rebuild by another process (0 = never)
    shard_count: int = 0  # 0 = one process, no sharding
    shard_ids: tuple[int, ...] = ()  # the shards this process runs (empty = all of shard_count)


@dataclass(frozen=True)
class Config:
    """Everything read from the config file, with defaults filled in."""

    corpus_path: str = "seeds"
    index_path: str = ".citebot/index"
    log_level: str = "INFO"
    settings: Settings = field(default_factory=Settings)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    source: str | None = None  # the file it came from, if any


# section -> key -> (expected python type(s), default). Lists are checked per item.
_SCHEMA: dict[str, dict[str, tuple[Any, Any]]] = {
    "corpus": {
        "path": (str, "seeds"),
        "boilerplate_patterns": ([str], list(DEFAULT_BOILERPLATE_PATTERNS)),
        "chrome_max_words": (int, CorpusSettings.chrome_max_words),
        "title_weight": (int, CorpusSettings.title_weight),
        "max_file_mb": (float, CorpusSettings.max_file_mb),
        "follow_outside_links": (bool, CorpusSettings.follow_outside_links),
        "max_paragraph_chars": (int, CorpusSettings.max_paragraph_chars),
    },
    "index": {"path": (str, ".citebot/index"), "file_cache": (bool, IndexSettings.file_cache)},
    "analysis": {
        "stemmer": (str, AnalyzerSettings.stemmer),
        "extra_stopwords": ([str], []),
    },
    "bm25": {
        "variant": (str, BM25Settings.variant),
        "k1": (float, BM25Settings.k1),
        "b": (float, BM25Settings.b),
        "epsilon": (float, BM25Settings.epsilon),
        "delta": (float, None),
    },
    "answer": {
        "top_k": (int, AnswerSettings.top_k),
        "max_sentences": (int, AnswerSettings.max_sentences),
        "excerpt_chars": (int, AnswerSettings.excerpt_chars),
        "min_matched_share": (float, AnswerSettings.min_matched_share),
        "duplicate_similarity": (float, AnswerSettings.duplicate_similarity),
        "min_distinctive_share": (float, AnswerSettings.min_distinctive_share),
        "rare_term_weight": (float, AnswerSettings.rare_term_weight),
        "unknown_word_weight": (float, AnswerSettings.unknown_word_weight),
        "refuse_unknown_names": (bool, AnswerSettings.refuse_unknown_names),
        "max_unknown_share": (float, AnswerSettings.max_unknown_share),
        "correct_typos": (bool, AnswerSettings.correct_typos),
    },
    "logging": {"level": (str, "INFO")},
    "discord": {
        f.name: (
            [int] if f.type == "tuple[int, ...]" else {"int": int, "float": float, "bool": bool, "str": str}[f.type],
            f.default,
        )
        for f in fields(DiscordConfig)
    },
}

_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("corpus", "chrome_max_words"): (0, 1000),
    ("corpus", "title_weight"): (0, 10),
    ("corpus", "max_file_mb"): (0.001, 1_000_000.0),
    ("corpus", "max_paragraph_chars"): (200, 10_000_000),
    ("bm25", "k1"): (0.0, 100.0),
    ("bm25", "b"): (0.0, 1.0),
    ("bm25", "epsilon"): (0.0, 100.0),
    ("bm25", "delta"): (0.0, 100.0),
    ("answer", "top_k"): (1, 100),
    ("answer", "max_sentences"): (1, 10),
    ("answer", "excerpt_chars"): (40, 4000),
    ("answer", "min_matched_share"): (0.0, 1.0),
    ("answer", "duplicate_similarity"): (0.0, 1.0),
    ("answer", "min_distinctive_share"): (0.0, 1.0),
    ("answer", "rare_term_weight"): (0.0, 1.0),
    ("answer", "unknown_word_weight"): (0.0, 1.0),
    ("answer", "max_unknown_share"): (0.0, 1.0),
    ("discord", "max_question_chars"): (1, 4000),
    ("discord", "cooldown_questions"): (1, 1000),
    ("discord", "cooldown_seconds"): (0.0, 86400.0),
    ("discord", "results_per_page"): (1, 10),
    ("discord", "edit_window_seconds"): (0.0, 86400.0),
    ("discord", "view_timeout_seconds"): (1.0, 30 * 86400.0),
    ("discord", "owner_reindex_cooldown_seconds"): (0.0, 86400.0),
    ("discord", "index_watch_seconds"): (0.0, 86400.0),
    ("discord", "shard_count"): (0, 10000),
}

_CHOICES = {
    ("bm25", "variant"): ("okapi", "l", "plus"),
    ("analysis", "stemmer"): ("snowball", "porter"),
    ("logging", "level"): ("DEBUG", "INFO", "WARNING", "ERROR"),
}


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _shown(value: Any) -> str:
    """A config value for an error message; a long string (a token pasted into the wrong key) is not echoed."""
    if isinstance(value, str) and len(value) > 16:
        return f"a string of {len(value)} characters (not shown)"
    return f"{type(value).__name__} {value!r}"


def _check_type(where: str, value: Any, expected: Any) -> Any:
    if isinstance(expected, list):
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, got {type(value).__name__}")
        return [_check_type(f"{where}[{i}]", item, expected[0]) for i, item in enumerate(value)]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        raise ConfigError(f"{where} must be {expected.__name__}, got {_shown(value)}")
    return value


def _validated(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Check sections, keys, types and ranges; return section -> key -> value."""
    values: dict[str, dict[str, Any]] = {s: {k: d for k, (_, d) in keys.items()} for s, keys in _SCHEMA.items()}
    values["aliases"] = {k: list(v) for k, v in DEFAULT_ALIASES.items()}
    for section, body in raw.items():
        if section == "aliases":
            if not isinstance(body, dict):
                raise ConfigError("[aliases] must be a table of name = [spellings]")
            aliases = {}
            for name, spellings in body.items():
                spellings = _check_type(f"[aliases] {name}", spellings, [str])
                if not all(s.strip() for s in spellings) or not name.strip():
                    raise ConfigError(f"[aliases] {name}: names and spellings must not be blank")
                aliases[name] = spellings
            values["aliases"] = aliases
            continue
        if section not in _SCHEMA:
            known = ", ".join(sorted([*_SCHEMA, "aliases"]))
            raise ConfigError(f"unknown section [{section}] (known: {known})")
        if not isinstance(body, dict):
            raise ConfigError(f"[{section}] must be a table")
        for key, value in body.items():
            if key not in _SCHEMA[section]:
                raise ConfigError(f"unknown key [{section}] {key}")
            expected = _SCHEMA[section][key][0]
            value = _check_type(f"[{section}] {key}", value, expected)
            if (section, key) in _RANGES:
                low, high = _RANGES[(section, key)]
                if not low <= value <= high:
                    raise ConfigError(f"[{section}] {key} must be between {low} and {high}, got {value!r}")
            if (section, key) in _CHOICES:
                if section == "logging":
                    value = value.upper()
                if value not in _CHOICES[(section, key)]:
                    choices = ", ".join(_CHOICES[(section, key)])
                    raise ConfigError(f"[{section}] {key} must be one of {choices}, got {_shown(value)}")
            if (section, key) == ("discord", "token_env") and not _ENV_NAME.fullmatch(value):
                raise ConfigError("[discord] token_env must be the NAME of an environment variable that holds the "
                                  "token (e.g. DISCORD_TOKEN), not the token itself; the value is not shown")
            values[section][key] = value
    for i, pattern in enumerate(values["corpus"]["boilerplate_patterns"]):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"[corpus] boilerplate_patterns[{i}] is not a valid regex: {exc}") from None
    return values


def _upgrade(raw: dict[str, Any]) -> dict[str, Any]:
    """Accept keys of earlier versions: ``[discord] feedback_file`` became ``state_dir`` + ``feedback_buttons``;
    ``[corpus] recurring_max_words`` is gone (a sentence is never chrome because another document repeats it)."""
    corpus = raw.get("corpus")
    if isinstance(corpus, dict) and "recurring_max_words" in corpus:
        raw = {**raw, "corpus": {k: v for k, v in corpus.items() if k != "recurring_max_words"}}
    section = raw.get("discord")
    if not isinstance(section, dict) or "feedback_file" not in section:
        return raw
    section = dict(section)
    old = _check_type("[discord] feedback_file", section.pop("feedback_file"), str)
    if not old:
        section.setdefault("feedback_buttons", False)
    else:
        section.setdefault("state_dir", str(Path(old).parent))
    return {**raw, "discord": section}


def _check_shards(d: DiscordConfig) -> None:
    if d.shard_ids and not d.shard_count:
        raise ConfigError("[discord] shard_ids needs shard_count (the total number of shards)")
    bad = [i for i in d.shard_ids if not 0 <= i < d.shard_count]
    if bad:
        raise ConfigError(f"[discord] shard_ids must be between 0 and shard_count - 1 ({d.shard_count - 1}), "
                          f"got {bad}")


def config_from_dict(raw: dict[str, Any], source: str | None = None) -> Config:
    """Build a :class:`Config` from parsed TOML (raises ConfigError naming the key)."""
    v = _validated(_upgrade(raw))
    corpus, analysis, bm25, answer = v["corpus"], v["analysis"], v["bm25"], v["answer"]
    settings = Settings(
        corpus=CorpusSettings(
            boilerplate_patterns=tuple(corpus["boilerplate_patterns"]),
            chrome_max_words=corpus["chrome_max_words"],
            title_weight=corpus["title_weight"],
            max_file_mb=corpus["max_file_mb"],
            follow_outside_links=corpus["follow_outside_links"],
            max_paragraph_chars=corpus["max_paragraph_chars"],
        ),
        analyzer=AnalyzerSettings(
            aliases={name: tuple(sp) for name, sp in v["aliases"].items()},
            extra_stopwords=tuple(analysis["extra_stopwords"]),
            stemmer=analysis["stemmer"],
        ),
        bm25=BM25Settings(
            variant=bm25["variant"], k1=bm25["k1"], b=bm25["b"], epsilon=bm25["epsilon"], delta=bm25["delta"]
        ),
        answer=AnswerSettings(**answer),
        index=IndexSettings(file_cache=v["index"]["file_cache"]),
    )
    discord_values = {
        k: tuple(val) if isinstance(val, list) else val for k, val in v["discord"].items()
    }
    discord_config = DiscordConfig(**discord_values)
    _check_shards(discord_config)
    return Config(
        corpus_path=corpus["path"],
        index_path=v["index"]["path"],
        log_level=v["logging"]["level"],
        settings=settings,
        discord=discord_config,
        source=source,
    )


def load_config(path: str | Path | None = None) -> Config:
    """Read the config file; with no path, ``./citebot.toml`` if present, else defaults."""
    explicit = path is not None
    path = Path(path) if explicit else Path(DEFAULT_CONFIG_FILE)
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file not found: {path}")
        return config_from_dict({})
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    return config_from_dict(raw, source=str(path))
