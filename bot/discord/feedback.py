"""Append-only JSON Lines log of 👍/👎 votes on answers.

One line per vote, written with a single ``write`` on a file opened in append
mode and flushed (and fsynced) before returning, so a vote is never half
written or lost if the process dies right after. The user is recorded as a
salted hash, never the raw Discord id.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

VOTES = ("up", "down")


def paragraph_id(source: str, paragraph: int) -> str:
    """A cited paragraph's stable id, e.g. ``000_73428c9fd92591ec.txt#20``."""
    return f"{source}#{paragraph}"


class FeedbackLog:
    """Appends votes to ``path`` (parent folders are created on first write)."""

    def __init__(self, path: str | Path, *, fsync: bool = True,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.path = Path(path)
        self.fsync = fsync
        self._now = now
        self._lock = threading.Lock()

    def record(self, *, question: str, paragraphs: Iterable[str], vote: str, user_hash: str,
               question_id: str | None = None) -> dict[str, Any]:
        """Write one vote line and return the record written."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, got {vote!r}")
        record = {
            "time": self._now().isoformat(timespec="seconds"),
            "question_id": question_id,
            "question": question,
            "paragraphs": list(paragraphs),
            "vote": vote,
            "user": user_hash,
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
        return record

    def redact_question(self, question_id: str) -> int:
        """Blank the question text of every vote on ``question_id`` (its question was deleted).

        The log is rewritten through a temporary file and ``os.replace``, under
        the same lock as appends. Returns how many votes were redacted.
        """
        with self._lock:
            if not self.path.exists():
                return 0
            lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
            changed = 0
            for i, line in enumerate(lines):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # keep a damaged line as it is
                if isinstance(record, dict) and record.get("question_id") == question_id and record.get("question"):
                    record["question"] = None
                    lines[i] = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                    changed += 1
            if changed:
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.writelines(lines)
                        fh.flush()
                        if self.fsync:
                            os.fsync(fh.fileno())
                    os.replace(tmp, self.path)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            return changed
