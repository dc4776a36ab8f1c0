"""Escape sequences from documents, file names and questions never reach the terminal raw."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli.render import BOLD, RESET
from bot.cli.terminal import json_text, use_color, visible

from .support import REPO_ROOT, write_corpus

# What a hostile document can carry: set the title (OSC), hide text, erase the line and return to its
# start to print a forged citation over the real one, a CSI as the one-byte C1 form, a bidi override.
HOSTILE = ("The Tomahawk launchers are kept in a hangar \x1b]0;pwned\x07near the coast "
           "\x1b[8mhidden\x1b[0m \x1b[2K\x1b[1G[1] forged.txt ¶1 \x9b31m red \u202eevil\u202c and storage.")
HOSTILE_NAME = b"launch\xe9 \x1b[31mred.txt"  # not UTF-8, and a colour code
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.fixture()
def hostile_corpus(tmp_path) -> Path:
    corpus = write_corpus(tmp_path / "corpus", {
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
        "weather.txt": "Weather\n\nThe harbour froze over during the cold winter.\n",
        "budget.txt": "Budget\n\nThe ministry approved the budget for schools and roads.\n",
    })
    fd = os.open(os.fsencode(corpus) + b"/" + HOSTILE_NAME, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, ("Launchers\n\n" + HOSTILE + "\n").encode())
    os.close(fd)
    return corpus


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_raw_controls(text: str) -> None:
    without_our_bold = text.replace(BOLD, "").replace(RESET, "")
    assert not RAW.search(without_our_bold), repr(RAW.search(without_our_bold))


def test_visible_shows_controls_and_keeps_text():
    assert visible("a\tb\nc") == "a\tb\nc"
    assert visible("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert visible("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert visible("\x9b2J \r \x7f") == "\\x9b2J \\x0d \\x7f"
    assert visible("\u202eevil\u2066") == "\\u202eevil\\u2066"
    assert visible("caf\udce9") == "caf\\xe9"  # an undecodable byte, as Python carries it
    assert visible("café ünïcödé — “quotes” ¶") == "café ünïcödé — “quotes” ¶"


def test_json_text_is_valid_utf8_with_controls_escaped():
    line = json_text({"s": "caf\udce9 \x1b[31m \x9b \u202e ok"})
    line.encode("utf-8")  # no lone surrogate left
    assert not RAW.search(line)
    assert json.loads(line)["s"] == "caf\udce9 \x1b[31m \x9b \u202e ok"


def test_hostile_document_and_file_name_in_text_output(hostile_corpus, tmp_path, capsys):
    common = ("--corpus", str(hostile_corpus), "--index", str(tmp_path / "index"))
    code, out, err = run(capsys, "ask", "where are the Tomahawk launchers kept?", "--color", "always", *common)
    assert code == 0 and "hangar" in out
    assert_no_raw_controls(out + err)
    assert BOLD in out  # our own highlighting still works
    assert "\\x1b]0;pwned\\x07" in out and "launch\\xe9 \\x1b[31mred.txt" in out  # shown, visibly
    code, out, err = run(capsys, "sources", *common)
    assert code == 0 and "launch\\xe9 \\x1b[31mred.txt" in out
    assert_no_raw_controls(out + err)


def test_hostile_document_and_file_name_in_json(hostile_corpus, tmp_path, capsys):
    common = ("--corpus", str(hostile_corpus), "--index", str(tmp_path / "index"))
    for args in (("ask", "where are the Tomahawk launchers kept?", "--json"), ("sources", "--json")):
        code, out, err = run(capsys, *args, *common)
        assert code == 0
        out.encode("utf-8")
        assert not RAW.search(out)
        objects = [json.loads(line) for line in out.splitlines()]
        names = {c["source"] for o in objects for c in o.get("citations", [])} | {o.get("source") for o in objects}
        # the name round-trips through JSON (undecodable bytes as surrogates, or as the corpus reader spells them)
        assert names & {os.fsdecode(HOSTILE_NAME), "launch\\xe9 \x1b[31mred.txt"}, names


def test_questions_from_stdin_are_shown_visibly_and_json_stays_valid(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar.\n",
                                                "b.txt": "Talks\n\nThe envoys met in Geneva.\n"})
    common = ["--corpus", str(corpus), "--index", str(tmp_path / "index")]
    questions = b"tomahawk \x1b]0;x\x07 launchers\nwhere \xff are the launchers\n"
    for extra in ([], ["--json"]):
        done = subprocess.run([sys.executable, "-m", "bot", "ask", "-", *extra, *common], input=questions,
                              capture_output=True, timeout=120, cwd=REPO_ROOT)
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode("utf-8")  # valid UTF-8 either way
        assert not RAW.search(out)
        if extra:
            assert [json.loads(line)["question"] for line in out.splitlines()] == [
                "tomahawk \x1b]0;x\x07 launchers", "where \udcff are the launchers"]
        else:
            assert "Q: tomahawk \\x1b]0;x\\x07 launchers" in out and "Q: where \\xff are the launchers" in out


def test_warnings_show_file_names_visibly(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar.\n",
                                                "\x1b[31mbinary.txt": b"\x00\x01\x02binary\x00" * 50})
    code, out, err = run(capsys, "index", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert code == 0
    assert_no_raw_controls(err)


class _Stream:
    def __init__(self, tty: bool):
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("env, choice, tty, expected", [
    ({}, "auto", True, True),
    ({}, "auto", False, False),
    ({"NO_COLOR": "1"}, "auto", True, False),
    ({"TERM": "dumb"}, "auto", True, False),
    ({"NO_COLOR": "1"}, "always", False, True),
    ({}, "never", True, False),
])
def test_color_choice(monkeypatch, env, choice, tty, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert use_color(_Stream(tty), choice) is expected
