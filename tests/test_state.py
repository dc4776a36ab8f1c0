"""The bot's SQLite database: WAL, versioned schema migrated on open, settings, answers, votes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.discord.state import SCHEMA_VERSION, AnswerRecord, StateDB, StateError
from retrieval.models import Citation, ParagraphRef
from tests.fakes import FakeClock


def citation(n: int, source: str = "a.txt") -> Citation:
    return Citation(n=n, source=source, paragraph=n, title="T", date=None, text=f"text {n}", excerpt=f"text {n}",
                    highlights=((0, 4),), score=1.5, also_in=(ParagraphRef("b.txt", 2),))


def record(qid: str = "00112233aabbccdd", created: float = 1000.0) -> AnswerRecord:
    return AnswerRecord(question_id=qid, asker="hash", question="q?", answer="a [1]",
                        citations=(citation(1), citation(2)), page_size=1, created_at=created, guild_id=5,
                        channel_id=6)


def test_a_new_database_is_wal_and_at_the_current_schema(tmp_path: Path) -> None:
    db = StateDB(tmp_path / "s" / "citebot.sqlite3")
    assert db.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "s" / "citebot.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    assert StateDB(tmp_path / "s" / "citebot.sqlite3").schema_version == SCHEMA_VERSION  # reopening is a no-op


def test_a_version_1_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    from bot.discord.state import MIGRATIONS

    path = tmp_path / "citebot.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO answers (question_id, asker, question, citations, page_size, created_at, channel_id, "
                 "message_id) VALUES ('aaaaaaaaaaaaaaaa', 'h', 'q?', '[]', 3, 1.0, 6, 7)")
    conn.commit()
    conn.close()
    db = StateDB(path)
    assert db.schema_version == SCHEMA_VERSION >= 2
    assert db.answer("aaaaaaaaaaaaaaaa").question == "q?"
    assert [row[0] for row in db.to_grey_out(since=0.0)] == ["aaaaaaaaaaaaaaaa"]
    db.mark_greyed("aaaaaaaaaaaaaaaa")
    assert db.to_grey_out(since=0.0) == []


def test_a_database_from_a_newer_citebot_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "citebot.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StateError, match="newer citebot"):
        StateDB(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_answers_round_trip_with_their_citations() -> None:
    db = StateDB(":memory:")
    db.save_answer(record())
    db.set_message("00112233aabbccdd", 6, 99)
    got = db.answer("00112233aabbccdd")
    assert got.citations == record().citations and got.message_id == 99 and got.paragraph_ids() == ["a.txt#1",
                                                                                                      "a.txt#2"]
    assert db.answer("ffffffffffffffff") is None


def test_pruning_keeps_answers_that_have_votes() -> None:
    db = StateDB(":memory:", clock=FakeClock(5000.0))
    db.save_answer(record("aaaaaaaaaaaaaaaa", created=1000.0))
    db.save_answer(record("bbbbbbbbbbbbbbbb", created=1000.0))
    db.save_answer(record("cccccccccccccccc", created=4000.0))
    db.set_vote("bbbbbbbbbbbbbbbb", "u1", "down", ["a.txt#1"])
    assert db.prune_answers(older_than=2000.0) == 1
    assert db.answer("aaaaaaaaaaaaaaaa") is None and db.answer("bbbbbbbbbbbbbbbb") and db.answer("cccccccccccccccc")


def test_votes_are_one_per_voter_and_summarised_per_paragraph() -> None:
    db = StateDB(":memory:")
    db.save_answer(record())
    qid = "00112233aabbccdd"
    db.set_vote(qid, "u1", "up", ["a.txt#1"])
    db.set_vote(qid, "u1", "down", ["a.txt#1"])
    db.set_vote(qid, "u2", "down", ["a.txt#1"])
    assert db.vote_counts(qid) == {"up": 0, "down": 2}
    db.set_vote(qid, "u2", None)
    assert db.vote_counts(qid) == {"up": 0, "down": 1}
    assert db.paragraph_feedback() == [("a.txt#1", 0, 1)]
    with pytest.raises(ValueError):
        db.set_vote(qid, "u1", "meh")


def test_guild_settings_are_per_guild() -> None:
    db = StateDB(":memory:")
    db.set_guild_setting(1, "results_per_page", 5)
    db.set_guild_setting(1, "channel_ids", [10, 11])
    db.set_guild_setting(2, "results_per_page", 2)
    assert db.guild_settings(1) == {"results_per_page": 5, "channel_ids": [10, 11]}
    assert db.guild_settings(2) == {"results_per_page": 2} and db.guild_settings(3) == {}
    assert db.reset_guild_setting(1, "channel_ids") and not db.reset_guild_setting(1, "channel_ids")
    assert db.guild_settings(1) == {"results_per_page": 5}


def test_another_connection_committing_changes_the_data_version(tmp_path: Path) -> None:
    a, b = StateDB(tmp_path / "c.sqlite3"), StateDB(tmp_path / "c.sqlite3")
    before = a.data_version()
    b.set_guild_setting(1, "small_talk", False)
    assert a.data_version() != before and a.guild_settings(1) == {"small_talk": False}
