"""A question pasted from coloured output is searched without its escape sequences."""

from __future__ import annotations

import io
import json
import sys

from bot.cli import main

from .support import write_corpus

COLOURED = "where are the Tomahawk \x1b[31mlaunchers\x1b[0m kept? \x1b]0;title\x07"


def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
    })


def test_ask_ignores_escape_sequences_in_the_question(tmp_path, capsys):
    args = ["--corpus", str(corpus(tmp_path)), "--index", str(tmp_path / "i")]
    assert main(["ask", COLOURED, "--json", *args]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["answered"] and "hangar" in answer["answer"] and answer["question"] == COLOURED


def test_ask_stdin_and_chat_ignore_escape_sequences(tmp_path, capsys, monkeypatch):
    args = ["--corpus", str(corpus(tmp_path)), "--index", str(tmp_path / "i")]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for command in (["ask", "-"], ["chat"]):
        monkeypatch.setattr(sys, "stdin", io.StringIO(COLOURED + "\n"))
        assert main([*command, *args]) == 0
        out = capsys.readouterr().out
        assert "hangar" in out and "No answer" not in out and "\x1b" not in out
