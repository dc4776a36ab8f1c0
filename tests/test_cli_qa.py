"""CLI contracts a user meets at the edges (found by QA passes): empty stdin, unwritable exports, --debug."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from bot.cli.app import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def run(tmp_path, capsys, monkeypatch):
    """Run the CLI in-process against the seeds; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def _run(*args: str, stdin: str | None = None):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--corpus", str(SEEDS), "--index", str(tmp_path / "idx"), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.mark.parametrize("stdin", ["", "\n   \n\t\n"])
def test_ask_dash_with_no_question_on_stdin_is_a_usage_error(run, stdin):
    for extra in ((), ("--json",)):
        code, out, err = run("ask", "-", *extra, stdin=stdin)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1 and "no question on stdin" in err


def test_ask_dash_still_answers_every_question_and_skips_blank_lines(run):
    code, out, _ = run("ask", "-", "--json", stdin="\nwhat did the US say about Tomahawk missiles?\n\nwho is El Pais?\n")
    assert code == 0 and len(out.strip().splitlines()) == 2


def test_feedback_export_into_a_missing_folder_is_one_line_exit_2_before_any_output(run, tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "negatives.jsonl"
    code, out, err = run("feedback", "--export", str(target))
    assert code == 2 and out == ""  # not "No votes yet" followed by an error
    assert len(err.strip().splitlines()) == 1 and str(target) in err and "does not exist" in err
    assert "Traceback" not in err and not target.parent.exists()


def test_feedback_export_into_a_writable_folder_still_writes(run, tmp_path):
    target = tmp_path / "negatives.jsonl"
    code, _, _ = run("feedback", "--export", str(target))
    assert code == 0 and target.read_text() == ""


def test_a_question_that_is_literally_debug_does_not_turn_on_tracebacks(run, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("retrieval.engine.Engine.ask", boom)
    code, _, err = run("ask", "--", "--debug")  # the question "--debug", not the flag
    assert code == 1 and "Traceback" not in err and "disk on fire" in err
    assert len(err.strip().splitlines()) == 1 and "use --debug for details" in err
    code, _, err = run("--debug", "ask", "hello")  # the flag before the command name
    assert code == 1 and "Traceback" in err and "use --debug" not in err
    code, _, err = run("ask", "hello", "--debug")  # and after it
    assert code == 1 and "Traceback" in err
