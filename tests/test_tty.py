"""Behaviour on a real terminal (a pseudo-terminal): colour unless NO_COLOR/TERM=dumb, build notice, width."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from .support import REPO_ROOT, write_corpus

pty = pytest.importorskip("pty")


def run_on_a_terminal(args: list[str], env: dict[str, str], columns: int = 60) -> str:
    """Run citebot with stdout and stderr on a pseudo-terminal of ``columns`` columns; returns what it showed."""
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "TERM")}
    proc = subprocess.Popen([sys.executable, "-m", "bot", *args], stdin=subprocess.DEVNULL, stdout=follower,
                            stderr=follower, cwd=REPO_ROOT, env={**environ, "TERM": "xterm", **env})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other side closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(leader)
    assert proc.returncode == 0
    return b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.fixture()
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus", {
        "launchers.txt": "Launchers\n\nThe Tomahawk launchers are kept in a hangar near the coast, guarded by "
                         "soldiers of the coastal brigade day and night, as the ministry report explains.\n",
        "talks.txt": "Talks\n\nThe envoys agreed to meet again next month in Geneva.\n",
        "weather.txt": "Weather\n\nThe harbour froze over during the cold winter.\n",
    })


def test_terminal_gets_colour_a_build_notice_and_its_width(corpus, tmp_path):
    shown = run_on_a_terminal(["ask", "where are the Tomahawk launchers kept?", "--corpus", str(corpus),
                               "--index", str(tmp_path / "index")], {}, columns=60)
    assert "building the index for 3 files" in shown
    assert "\x1b[1m" in shown  # bold matched words
    answer = re.sub(r"\x1b\[[0-9;]*m", "", shown[shown.index("The Tomahawk"):])
    assert max(len(line) for line in answer.splitlines()) <= 60


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_dumb_terminals_get_plain_text(corpus, tmp_path, env):
    shown = run_on_a_terminal(["ask", "where are the Tomahawk launchers kept?", "--corpus", str(corpus),
                               "--index", str(tmp_path / "index")], env)
    assert "hangar" in shown and "\x1b[1m" not in shown
