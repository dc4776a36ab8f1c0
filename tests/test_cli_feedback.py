"""``citebot feedback``: votes per question and per paragraph; --export writes golden questions for eval."""

from __future__ import annotations

import json
from pathlib import Path

from bot.cli import main
from bot.discord.state import AnswerRecord, StateDB, database_path
from retrieval.evaluate import read_golden
from retrieval.models import Citation


def cite(n: int, source: str) -> Citation:
    return Citation(n=n, source=source, paragraph=n, title=None, date=None, text="t", excerpt="t", highlights=(),
                    score=1.0)


def seed_votes(state: Path) -> None:
    db = StateDB(database_path(state), clock=iter([100.0, 200.0, 300.0, 400.0, 500.0]).__next__)
    for qid, question, source in [("a" * 16, "who is on the board?", "board.md"),
                                  ("b" * 16, "when is the deadline?", "dates.md")]:
        db.save_answer(AnswerRecord(question_id=qid, asker="h", question=question, answer="x [1]",
                                    citations=(cite(1, source), cite(2, source), cite(3, source)), page_size=2,
                                    created_at=1.0))
    db.set_vote("a" * 16, "u1", "up", ["board.md#1", "board.md#2"])
    db.set_vote("b" * 16, "u1", "down", ["dates.md#1", "dates.md#2"])
    db.set_vote("b" * 16, "u2", "down", ["dates.md#1", "dates.md#2"])
    db.set_vote("b" * 16, "u2", "down", ["dates.md#1", "dates.md#2"])  # the same voter again: still one vote
    db.close()


def write_config(tmp_path: Path, state: Path) -> str:
    config = tmp_path / "citebot.toml"
    config.write_text(f'[discord]\nstate_dir = "{state.as_posix()}"\n', encoding="utf-8")
    return str(config)


def test_feedback_prints_votes_per_question_and_paragraph(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state"
    seed_votes(state)
    assert main(["feedback", "--config", write_config(tmp_path, state)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "when is the deadline?" in lines[1] and "👎   2" in lines[1]  # newest first
    assert "who is on the board?" in lines[2] and "👍   1" in lines[2]
    assert any("dates.md#1" in line and "👎   2" in line for line in lines)
    assert "dates.md#3" not in out  # only the paragraphs voters saw


def test_export_writes_the_negative_ones_in_eval_format(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state"
    seed_votes(state)
    out_file = tmp_path / "neg.jsonl"
    assert main(["feedback", "--config", write_config(tmp_path, state), "--export", str(out_file)]) == 0
    (line,) = [json.loads(x) for x in out_file.read_text(encoding="utf-8").splitlines()]
    assert line["q"] == "when is the deadline?" and line["rel"] == [] and line["cited"] == ["dates.md#1", "dates.md#2"]
    (golden,) = read_golden(out_file)  # citebot eval reads it
    assert golden.q == "when is the deadline?"


def test_a_deleted_question_is_counted_but_not_exported(tmp_path: Path, capsys) -> None:
    state = tmp_path / "state"
    seed_votes(state)
    db = StateDB(database_path(state))
    db.redact_question("b" * 16)  # its asker deleted the question on Discord
    db.close()
    out_file = tmp_path / "neg.jsonl"
    assert main(["feedback", "--config", write_config(tmp_path, state), "--export", str(out_file)]) == 0
    assert "(question deleted)" in capsys.readouterr().out
    assert out_file.read_text(encoding="utf-8") == ""


def test_no_database_yet_is_not_an_error(tmp_path: Path, capsys) -> None:
    assert main(["feedback", "--config", write_config(tmp_path, tmp_path / "nothing")]) == 0
    assert "No votes yet" in capsys.readouterr().out
    assert not (tmp_path / "nothing").exists()
