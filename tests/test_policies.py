"""Policies: cooldown, allowlist, length, admin check, question extraction, user hashing."""

from __future__ import annotations

import os
import stat

from bot.discord.policies import (
    Cooldown, UserHasher, channel_allowed, extract_question, load_salt, too_long,
)
from tests.fakes import FakeClock

BOT = 42


def test_cooldown_one_per_five_seconds() -> None:
    clock = FakeClock()
    cooldown = Cooldown(1, 5.0, clock=clock)
    assert cooldown.hit(1) == 0.0
    clock.advance(2)
    assert cooldown.hit(1) == 3.0
    assert cooldown.hit(2) == 0.0  # other users are unaffected
    clock.advance(3.01)
    assert cooldown.hit(1) == 0.0


def test_cooldown_rate_of_two() -> None:
    clock = FakeClock()
    cooldown = Cooldown(2, 10.0, clock=clock)
    assert cooldown.hit(1) == 0.0 and cooldown.hit(1) == 0.0
    assert cooldown.hit(1) > 0
    clock.advance(10.5)
    assert cooldown.hit(1) == 0.0


def test_cooldown_denied_attempts_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    cooldown = Cooldown(1, 5.0, clock=clock)
    cooldown.hit(1)
    for _ in range(4):
        clock.advance(1)
        assert cooldown.hit(1) > 0
    clock.advance(1.01)
    assert cooldown.hit(1) == 0.0


def test_cooldown_zero_seconds_disables_it() -> None:
    cooldown = Cooldown(1, 0.0, clock=FakeClock())
    assert all(cooldown.hit(1) == 0.0 for _ in range(5))


def test_cooldown_forgets_idle_users() -> None:
    clock = FakeClock()
    cooldown = Cooldown(1, 5.0, clock=clock)
    for user in range(1500):
        cooldown.hit(user)
    clock.advance(60)
    cooldown.hit(99_999)
    assert len(cooldown._buckets) == 1


def test_channel_allowlist() -> None:
    assert channel_allowed((), 5)
    assert channel_allowed((5, 6), 5)
    assert not channel_allowed((5, 6), 7)
    assert channel_allowed((5,), 99, parent_id=5)  # a thread of an allowed channel


def test_question_length() -> None:
    assert not too_long("x" * 500, 500)
    assert too_long("x" * 501, 500)


def test_muted_channels_and_their_threads_are_never_answered() -> None:
    assert not channel_allowed([], 5, muted=[5])
    assert not channel_allowed([5], 6, parent_id=5, muted=[5])
    assert not channel_allowed([6], 6, parent_id=5, muted=[5])
    assert channel_allowed([], 6, parent_id=7, muted=[5])


def test_extract_question_from_mentions() -> None:
    assert extract_question(f"<@{BOT}> what about Tomahawk?", BOT) == "what about Tomahawk?"
    assert extract_question(f"<@!{BOT}>, what about Tomahawk?", BOT) == "what about Tomahawk?"
    assert extract_question(f"what about Tomahawk <@{BOT}>", BOT) == "what about Tomahawk"
    assert extract_question("<@&77> what about it", BOT, role_ids=[77]) == "what about it"
    assert extract_question(f"<@{BOT}> did <@123> say it?", BOT) == "did <@123> say it?"
    assert extract_question(f"<@{BOT}>", BOT) == ""


def test_messages_not_addressed_to_the_bot() -> None:
    assert extract_question("what about Tomahawk?", BOT) is None
    assert extract_question("<@43> what about Tomahawk?", BOT) is None
    assert extract_question("!ask what about it", BOT) is None  # prefix disabled


def test_prefix_and_direct_messages() -> None:
    assert extract_question("!ask what about it", BOT, prefix="!ask") == "what about it"
    assert extract_question("!asking what", BOT, prefix="!ask") is None
    assert extract_question("what about it", BOT, require_trigger=False) == "what about it"


def test_user_hash_is_salted_and_not_the_raw_id() -> None:
    uid = 123456789012345678
    a, b = UserHasher("salt-a"), UserHasher("salt-b")
    assert a(uid) == a(uid) != b(uid)
    assert str(uid) not in a(uid) and len(a(uid)) == 16


def test_salt_from_environment_wins(tmp_path) -> None:
    assert load_salt("SALT", tmp_path / "salt", {"SALT": "from-env"}) == "from-env"
    assert not (tmp_path / "salt").exists()


def test_salt_file_is_created_private_and_reused(tmp_path) -> None:
    path = tmp_path / "state" / "user_salt"
    first = load_salt("SALT", path, {})
    assert path.parent == tmp_path / "state" and len(first) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_salt("SALT", path, {}) == first
