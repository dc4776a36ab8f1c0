"""``citebot chat``'s line history: readline's, kept in the user's state folder and bounded.

The file is ``$XDG_STATE_HOME/citebot/chat_history`` (``~/.local/state/citebot/
chat_history`` by default), not the current folder, so running ``chat`` in a
project never leaves a file there. It keeps the last :data:`MAX_ENTRIES`
lines; ``:quit`` and friends are not recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_ENTRIES = 1000


def history_path(environ: dict[str, str] | None = None) -> Path:
    """Where the chat history lives (the XDG state folder)."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME") or ""
    base = Path(state) if os.path.isabs(state) else Path.home() / ".local" / "state"
    return base / "citebot" / "chat_history"


class ChatHistory:
    """readline's history, loaded from and saved to :func:`history_path` (a no-op without readline)."""

    def __init__(self, path: Path, readline):
        self.path = path
        self.readline = readline

    @classmethod
    def open(cls, path: Path | None = None) -> ChatHistory:
        path = path or history_path()
        try:
            import readline
        except ImportError:  # pragma: no cover - Python built without readline
            return cls(path, None)
        readline.clear_history()
        readline.set_history_length(MAX_ENTRIES)
        try:
            readline.read_history_file(path)
        except OSError:  # none yet, or unreadable: start empty
            pass
        return cls(path, readline)

    def forget(self, line: str) -> None:
        """Drop ``line`` when it is the last entry (``:quit`` is not worth recalling)."""
        rl = self.readline
        if rl is not None and (n := rl.get_current_history_length()) and rl.get_history_item(n) == line:
            rl.remove_history_item(n - 1)

    def save(self) -> None:
        """Write the last MAX_ENTRIES lines (best effort: history is a convenience)."""
        if self.readline is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.readline.set_history_length(MAX_ENTRIES)
            self.readline.write_history_file(self.path)
        except OSError:
            pass
