"""The feedback log: one flushed JSON line per vote, appended."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.discord.feedback import FeedbackLog, paragraph_id

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_each_vote_is_one_json_line(tmp_path) -> None:
    path = tmp_path / "state" / "feedback.jsonl"
    log = FeedbackLog(path, now=lambda: NOW)
    log.record(question="Tomahawk?", paragraphs=[paragraph_id("a.txt", 3)], vote="up", user_hash="abc",
               question_id="q1")
    log.record(question="Taiwan?", paragraphs=[], vote="down", user_hash="def")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"time": "2024-05-01T12:00:00+00:00", "question_id": "q1", "question": "Tomahawk?",
         "paragraphs": ["a.txt#3"], "vote": "up", "user": "abc"},
        {"time": "2024-05-01T12:00:00+00:00", "question_id": None, "question": "Taiwan?", "paragraphs": [],
         "vote": "down", "user": "def"},
    ]


def test_appends_to_an_existing_log(tmp_path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"old": true}\n', encoding="utf-8")
    FeedbackLog(path, fsync=False).record(question="q", paragraphs=[], vote="up", user_hash="h")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2


def test_line_is_on_disk_before_record_returns(tmp_path) -> None:
    path = tmp_path / "feedback.jsonl"
    log = FeedbackLog(path)
    log.record(question="multi\nline \"quoted\" ✓", paragraphs=["x#1"], vote="down", user_hash="h")
    (line,) = path.read_bytes().split(b"\n")[:-1]
    assert json.loads(line)["question"] == "multi\nline \"quoted\" ✓"


def test_unknown_vote_is_rejected(tmp_path) -> None:
    with pytest.raises(ValueError):
        FeedbackLog(tmp_path / "f.jsonl").record(question="q", paragraphs=[], vote="meh", user_hash="h")
    assert not (tmp_path / "f.jsonl").exists()
