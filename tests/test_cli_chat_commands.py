"""``citebot chat``: a mistyped ``:command`` is reported, never searched as a question or kept as context."""

from __future__ import annotations

import io
import sys

from bot.cli import main

from .support import write_corpus


def chat(tmp_path, capsys, monkeypatch, lines: str) -> tuple[int, str]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    corpus = write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
    })
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    code = main(["chat", "--corpus", str(corpus), "--index", str(tmp_path / "i")])
    return code, capsys.readouterr().out


def test_unknown_command_is_reported_and_not_kept_as_context(tmp_path, capsys, monkeypatch):
    code, out = chat(tmp_path, capsys, monkeypatch, ":bogus\n:context\n")
    assert code == 0 and "Unknown command :bogus" in out and ":new" in out
    assert "No earlier questions" in out and "No answer" not in out


def test_commands_ignore_case(tmp_path, capsys, monkeypatch):
    code, out = chat(tmp_path, capsys, monkeypatch, "where are the Tomahawk launchers kept?\n:NEW\n:Context\n"
                                                    ":QUIT\nnever asked\n")
    assert code == 0 and "hangar" in out and "New conversation" in out and "No earlier questions" in out
    assert "following up" not in out and out.count("citebot>") == 4  # :QUIT left before "never asked"
