"""The bot's database: per-server settings, answers (so buttons outlive restarts) and feedback votes.

One SQLite file in the state folder (the standard library's ``sqlite3``), in
WAL mode so several bot processes (shards) and ``citebot feedback`` can read
while one writes. The schema is versioned with ``PRAGMA user_version`` and
migrated on open; a database from a newer citebot is refused, never altered.
Calls are short and synchronous (well under a millisecond on the hot path);
one lock serialises them so the connection can be shared with executor threads.

Users appear only as salted hashes (bot/discord/policies.py UserHasher).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from retrieval.errors import CitebotError
from retrieval.models import Citation, ParagraphRef

DATABASE_FILE = "citebot.sqlite3"
VOTES = ("up", "down")

# Each step takes the schema from version i to i + 1; never edit a released step, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE guild_settings (
        guild_id   INTEGER NOT NULL,
        key        TEXT    NOT NULL,
        value      TEXT    NOT NULL,           -- JSON
        updated_at REAL    NOT NULL,
        PRIMARY KEY (guild_id, key)
    );
    CREATE TABLE answers (
        question_id TEXT    PRIMARY KEY,
        guild_id    INTEGER,                   -- NULL in direct messages
        channel_id  INTEGER,
        message_id  INTEGER,
        asker       TEXT    NOT NULL,          -- salted hash
        question    TEXT    NOT NULL,
        answer      TEXT,
        citations   TEXT    NOT NULL,          -- JSON list, shown first then the further pages
        page_size   INTEGER NOT NULL,
        embeds      INTEGER NOT NULL DEFAULT 1,
        created_at  REAL    NOT NULL
    );
    CREATE INDEX answers_created ON answers (created_at);
    CREATE TABLE votes (
        question_id TEXT NOT NULL REFERENCES answers (question_id) ON DELETE CASCADE,
        voter       TEXT NOT NULL,             -- salted hash
        vote        TEXT NOT NULL CHECK (vote IN ('up', 'down')),
        paragraphs  TEXT NOT NULL,             -- JSON list of "source#paragraph"
        voted_at    REAL NOT NULL,
        PRIMARY KEY (question_id, voter)
    );
    CREATE INDEX votes_time ON votes (voted_at);
    """,
    # 2: whether an answer's buttons were greyed out (so a restarted bot finishes the job)
    """
    ALTER TABLE answers ADD COLUMN greyed INTEGER NOT NULL DEFAULT 0;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateError(CitebotError):
    """The database cannot be opened or was written by a newer citebot."""


def database_path(state_dir: str | Path) -> Path:
    return Path(state_dir) / DATABASE_FILE


# ------------------------------------------------------------------------ citations as JSON
_CITATION_FIELDS = {f.name for f in fields(Citation)}


def citation_to_json(c: Citation) -> dict[str, Any]:
    return asdict(c)


def citation_from_json(data: dict[str, Any]) -> Citation:
    """The inverse of :func:`citation_to_json`; unknown keys (from another version) are dropped."""
    values = {k: v for k, v in data.items() if k in _CITATION_FIELDS}
    values["highlights"] = tuple(tuple(span) for span in values.get("highlights", ()))
    values["also_in"] = tuple(ParagraphRef(**ref) for ref in values.get("also_in", ()))
    return Citation(**values)


@dataclass(frozen=True)
class AnswerRecord:
    """An answer with buttons: what More results and the votes need after a restart."""

    question_id: str
    asker: str
    question: str
    answer: str | None
    citations: tuple[Citation, ...]
    page_size: int
    created_at: float
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    embeds: bool = True

    def paragraph_ids(self, upto: int | None = None) -> list[str]:
        return [f"{c.source}#{c.paragraph}" for c in self.citations[:upto]]


@dataclass(frozen=True)
class FeedbackRow:
    """Votes on one answer (for ``citebot feedback``)."""

    question_id: str
    question: str
    up: int
    down: int
    last_vote: float
    paragraphs: tuple[str, ...]  # the cited paragraphs voters saw


class StateDB:
    """The database at ``path`` (``":memory:"`` for a throwaway one), migrated on open."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time):
        self.path = path
        self._clock = clock
        self._lock = threading.RLock()
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state database {path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(f"the state database {self.path} has schema version {version}; this citebot "
                                 f"knows up to {SCHEMA_VERSION} (was it written by a newer citebot?)")
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits; cheap enough per message."""
        with self._lock:
            return self._conn.execute("PRAGMA data_version").fetchone()[0]

    # -------------------------------------------------------------------- per-server settings
    def guild_settings(self, guild_id: int) -> dict[str, Any]:
        """The server's own values (key -> JSON value); keys without a row use the operator's default."""
        with self._lock:
            rows = self._conn.execute("SELECT key, value FROM guild_settings WHERE guild_id = ?",
                                      (guild_id,)).fetchall()
        return {key: json.loads(value) for key, value in rows}

    def set_guild_setting(self, guild_id: int, key: str, value: Any) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO guild_settings (guild_id, key, value, updated_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (guild_id, key) DO UPDATE SET value = excluded.value, "
                         "updated_at = excluded.updated_at", (guild_id, key, json.dumps(value), self._clock()))

    def reset_guild_setting(self, guild_id: int, key: str) -> bool:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM guild_settings WHERE guild_id = ? AND key = ?",
                                (guild_id, key)).rowcount > 0

    # -------------------------------------------------------------------- answers
    def save_answer(self, record: AnswerRecord) -> None:
        citations = json.dumps([citation_to_json(c) for c in record.citations], ensure_ascii=False)
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO answers (question_id, guild_id, channel_id, message_id, asker, question, "
                "answer, citations, page_size, embeds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                # an edited question is answered again under the same id; its votes stay
                "ON CONFLICT (question_id) DO UPDATE SET guild_id = excluded.guild_id, "
                "channel_id = excluded.channel_id, message_id = excluded.message_id, asker = excluded.asker, "
                "question = excluded.question, answer = excluded.answer, citations = excluded.citations, "
                "page_size = excluded.page_size, embeds = excluded.embeds, created_at = excluded.created_at",
                (record.question_id, record.guild_id, record.channel_id, record.message_id, record.asker,
                 record.question, record.answer, citations, record.page_size, int(record.embeds),
                 record.created_at))

    def set_message(self, question_id: str, channel_id: int | None, message_id: int) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE answers SET channel_id = COALESCE(?, channel_id), message_id = ? "
                         "WHERE question_id = ?", (channel_id, message_id, question_id))

    def answer(self, question_id: str) -> AnswerRecord | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT question_id, asker, question, answer, citations, page_size, created_at, guild_id, "
                "channel_id, message_id, embeds FROM answers WHERE question_id = ?", (question_id,)).fetchone()
        if row is None:
            return None
        citations = tuple(citation_from_json(c) for c in json.loads(row[4]))
        return AnswerRecord(row[0], row[1], row[2], row[3], citations, row[5], row[6], row[7], row[8], row[9],
                            bool(row[10]))

    def mark_greyed(self, question_id: str) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE answers SET greyed = 1 WHERE question_id = ?", (question_id,))

    def to_grey_out(self, since: float) -> list[tuple[str, int | None, int, int, float]]:
        """Answers sent after ``since`` whose buttons are not greyed out yet:
        (question id, guild id, channel id, message id, created at), oldest first."""
        with self._lock:
            return self._conn.execute(
                "SELECT question_id, guild_id, channel_id, message_id, created_at FROM answers WHERE greyed = 0 "
                "AND message_id IS NOT NULL AND channel_id IS NOT NULL AND created_at >= ? ORDER BY created_at",
                (since,)).fetchall()

    def redact_question(self, question_id: str) -> int:
        """Blank the question (and answer) text of an answer whose question was deleted; votes stay."""
        with self._transaction() as conn:
            return conn.execute("UPDATE answers SET question = '', answer = NULL WHERE question_id = ? "
                                "AND question != ''", (question_id,)).rowcount

    def prune_answers(self, older_than: float) -> int:
        """Forget answers created before ``older_than`` that nobody voted on; returns how many."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM answers WHERE created_at < ? AND question_id NOT IN "
                                "(SELECT question_id FROM votes)", (older_than,)).rowcount

    # -------------------------------------------------------------------- votes
    def set_vote(self, question_id: str, voter: str, vote: str | None, paragraphs: Sequence[str] = ()) -> None:
        """One vote per voter per answer: ``vote`` replaces the previous one; None withdraws it."""
        if vote is not None and vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES} or None, got {vote!r}")
        with self._transaction() as conn:
            if vote is None:
                conn.execute("DELETE FROM votes WHERE question_id = ? AND voter = ?", (question_id, voter))
                return
            conn.execute("INSERT INTO votes (question_id, voter, vote, paragraphs, voted_at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (question_id, voter) DO UPDATE SET vote = excluded.vote, "
                         "paragraphs = excluded.paragraphs, voted_at = excluded.voted_at",
                         (question_id, voter, vote, json.dumps(list(paragraphs)), self._clock()))

    def vote_of(self, question_id: str, voter: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT vote FROM votes WHERE question_id = ? AND voter = ?",
                                     (question_id, voter)).fetchone()
        return row[0] if row else None

    def vote_counts(self, question_id: str) -> dict[str, int]:
        with self._lock:
            rows = self._conn.execute("SELECT vote, COUNT(*) FROM votes WHERE question_id = ? GROUP BY vote",
                                      (question_id,)).fetchall()
        return {"up": 0, "down": 0, **dict(rows)}

    def feedback(self, limit: int = 20) -> list[FeedbackRow]:
        """The answers voted on most recently, newest first, with their counts."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT a.question_id, a.question, SUM(v.vote = 'up'), SUM(v.vote = 'down'), MAX(v.voted_at), "
                "a.citations, a.page_size FROM votes v JOIN answers a USING (question_id) "
                "GROUP BY a.question_id ORDER BY MAX(v.voted_at) DESC LIMIT ?", (limit,)).fetchall()
        out = []
        for qid, question, up, down, last, citations, page_size in rows:
            shown = [f"{c['source']}#{c['paragraph']}" for c in json.loads(citations)[:page_size]]
            out.append(FeedbackRow(qid, question, int(up or 0), int(down or 0), float(last), tuple(shown)))
        return out

    def paragraph_feedback(self, question_ids: Sequence[str] | None = None) -> list[tuple[str, int, int]]:
        """(paragraph id, 👍, 👎) over the votes (on ``question_ids`` if given), most 👎 first."""
        with self._lock:
            rows = self._conn.execute("SELECT question_id, vote, paragraphs FROM votes").fetchall()
        wanted = set(question_ids) if question_ids is not None else None
        counts: dict[str, list[int]] = {}
        for qid, vote, paragraphs in rows:
            if wanted is not None and qid not in wanted:
                continue
            for pid in json.loads(paragraphs):
                counts.setdefault(pid, [0, 0])[vote == "down"] += 1
        return sorted(((p, up, down) for p, (up, down) in counts.items()), key=lambda r: (-r[2], -r[1], r[0]))
