"""Who may ask what, where and how often: small pure policies the bot wires in.

Nothing here touches the network; clocks are injected so tests never sleep.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from discord.app_commands import Cooldown as _Bucket

from bot.escapes import plain_question

SALT_FILE_NAME = "user_salt"


class Cooldown:
    """Per-user rate limit: at most ``rate`` questions per ``per`` seconds.

    Each user gets a discord.py token bucket (``app_commands.Cooldown``);
    ``clock`` returns seconds (monotonic by default). Idle buckets are pruned
    so memory stays bounded on a busy server.
    """

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic):
        self.rate, self.per, self._clock = int(rate), float(per), clock
        self._buckets: dict[int, _Bucket] = {}
        self._last_prune = 0.0

    def _now(self) -> float:
        # discord.py's bucket treats a falsy time as "use time.time()"
        return self._clock() or 1e-9

    def hit(self, user_id: int) -> float:
        """Record a question; return 0.0 if allowed, else the seconds to wait."""
        if self.per <= 0:
            return 0.0
        now = self._now()
        self._prune(now)
        bucket = self._buckets.setdefault(user_id, _Bucket(self.rate, self.per))
        if bucket.get_tokens(now) <= 0:
            return max(bucket.get_retry_after(now), 0.001)
        bucket.update_rate_limit(now)
        return 0.0

    def _prune(self, now: float) -> None:
        if now - self._last_prune < self.per or len(self._buckets) < 1000:
            return
        self._last_prune = now
        for user_id in [u for u, b in self._buckets.items() if b.get_tokens(now) >= self.rate]:
            del self._buckets[user_id]


def channel_allowed(allowlist: Iterable[int], channel_id: int | None, parent_id: int | None = None,
                    muted: Iterable[int] = ()) -> bool:
    """Whether a guild channel (or a thread of one) may be answered in; empty allowlist = everywhere.

    A muted channel (or a thread of one) never is, whatever the allowlist says.
    """
    muted = set(muted)
    if channel_id in muted or (parent_id is not None and parent_id in muted):
        return False
    allowed = set(allowlist)
    return not allowed or channel_id in allowed or (parent_id is not None and parent_id in allowed)


def too_long(question: str, max_chars: int) -> bool:
    return len(question) > max_chars


def extract_question(content: str, bot_id: int, *, role_ids: Iterable[int] = (), prefix: str | None = None,
                     require_trigger: bool = True) -> str | None:
    """The question in a message, or None when the message isn't addressed to the bot.

    A message is addressed to the bot when it mentions it (``<@id>``/``<@!id>``
    or the bot's managed role ``<@&id>``), or starts with ``prefix`` (followed
    by whitespace or nothing). Mentions and the prefix are stripped, as is
    leading punctuation such as the comma in "@citebot, what …", and escape sequences and control
    characters (:func:`bot.escapes.plain_question`). With
    ``require_trigger=False`` (direct messages) any text is a question.
    """
    ids = "|".join([f"!?{bot_id}", *(f"&{r}" for r in role_ids)])
    mention = re.compile(rf"<@(?:{ids})>")
    text = content.strip()
    triggered = bool(mention.search(text))
    if prefix and (text == prefix or text.startswith(prefix) and text[len(prefix)].isspace()):
        text, triggered = text[len(prefix):], True
    if not triggered and require_trigger:
        return None
    text = plain_question(mention.sub(" ", text))  # no escape sequences or controls echoed or logged
    return text.lstrip(",:;-–— ").strip()


@dataclass(frozen=True)
class UserHasher:
    """Salted SHA-256 of user ids, so logs and feedback never hold the raw id."""

    salt: str

    def __call__(self, user_id: int) -> str:
        digest = hashlib.sha256(f"{self.salt}:{user_id}".encode()).hexdigest()
        return digest[:16]


def load_salt(env_name: str, salt_file: Path, environ: dict[str, str] | None = None) -> str:
    """The salt from ``$env_name``; else from ``salt_file``, created with a random salt if missing.

    The file is written to a temporary file and swapped in with ``os.replace``
    (mode 0600) so a crash never leaves a half-written salt.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(env_name, "").strip() if env_name else ""
    if value:
        return value
    salt_file = Path(salt_file)
    try:
        existing = salt_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    salt = secrets.token_hex(32)
    salt_file.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=salt_file.parent, prefix=".salt-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(salt + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, salt_file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return salt
