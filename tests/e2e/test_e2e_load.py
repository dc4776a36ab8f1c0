"""Load: 20 simulated users send 200 questions (mentions and /ask, interleaved) within 10 seconds.

Every question must get exactly one terminal response: an answer, or a cooldown notice. With a cooldown
of 5 questions per 60 s and 10 questions per user, exactly the first 5 of each user are answered and the
other 5 get the notice, so the expected counts are known up front. Reply latency is measured from the
server's side: from dispatching the event to receiving the request that carries the reply.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

import pytest

from .discord_server import CB_DEFERRED_MESSAGE, CB_MESSAGE, EPHEMERAL, FakeDiscord, Interaction
from .harness import serving

USERS = 20
PER_USER = 10
SPREAD_SECONDS = 5.0  # the 200 questions go out evenly over this span (the issue allows 10 s)
COOLDOWN_QUESTIONS = 5
COOLDOWN_SECONDS = 60.0
NOTICE = "One question at a time"
QUESTIONS = [
    "what did Russia propose about Tomahawk missiles?",
    "what did the US say about Tomahawk missiles?",
    "transparency mechanism at NATO bases",
    "what did NATO answer about Ukraine?",
    "mutual transparency measures in Ukraine",
    "security guarantees",
    "which documents were leaked?",
    "what is the capital of Australia?",  # no answer in the corpus: still one polite reply
]
MESSAGES = "POST /channels/{channel_id}/messages"


@dataclass
class Asked:
    user: int
    index: int  # this user's n-th question
    via: str  # "mention" or "/ask"
    ref: int | Interaction  # message id or interaction


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def outcome(server: FakeDiscord, q: Asked) -> tuple[list[str], float | None, float | None]:
    """(kinds of every terminal response, reply latency, acknowledgement latency) for one question."""
    if q.via == "mention":
        sent = [r for r in server.requests if r.route == MESSAGES
                and str((r.json or {}).get("message_reference", {}).get("message_id")) == str(q.ref)]
        sent = [r for r in sent if r.fault != "rate limit"]  # 429s from the channel limit are retried
        ok = [r for r in sent if r.status == 200]
        kinds = ["notice" if NOTICE in (r.json.get("content") or "") else "answer" if r.json.get("embeds")
                 else "other" for r in ok]
        failed = [f"HTTP {r.status}" for r in sent if r.status != 200]
        latency = ok[0].at - server.dispatched_at[q.ref] if ok else None
        return kinds + failed, latency, None
    it: Interaction = q.ref
    reqs = server.interaction_requests(it)
    callbacks = [r for r in reqs if r.route.endswith("/callback")]
    kinds, latency = [], None
    for r in reqs:
        if r.fault == "rate limit":
            continue
        if not 200 <= r.status < 300:
            kinds.append(f"HTTP {r.status}")
            continue
        body = r.json or {}
        if r.route.endswith("/callback"):
            if body.get("type") == CB_DEFERRED_MESSAGE:
                continue  # "thinking…": not a reply yet
            body = body.get("data") or {}
            assert body.get("flags", 0) & EPHEMERAL or body.get("embeds"), body
        kinds.append("notice" if NOTICE in (body.get("content") or "") else "answer" if body.get("embeds")
                     else "other")
        latency = r.at - it.dispatched_at
    ack = callbacks[0].at - it.dispatched_at if callbacks else None
    assert all(c.json.get("type") in (CB_MESSAGE, CB_DEFERRED_MESSAGE) for c in callbacks)
    return kinds, latency, ack


@pytest.mark.parametrize("channel_limit", [None, (5, 0.4)], ids=["no-rest-limit", "channel-rate-limited"])
async def test_200_questions_from_20_users_get_exactly_one_reply_or_notice_each(
        discord_server, e2e_engine, state_dir, capsys, channel_limit):
    """``channel-rate-limited`` enforces Discord's per-channel message limit (5 per 5 s) time-compressed
    12.5x to 5 per 0.4 s, with real X-RateLimit headers (and 429s when exceeded): the 100 channel replies
    need 8 s, so they queue up behind the limit while questions keep coming."""
    server = discord_server
    if channel_limit:
        bucket = server.limit_route(MESSAGES, *channel_limit)
    users = [int(server.add_user(f"user{i:02d}")["id"]) for i in range(USERS)]
    async with serving(server, e2e_engine, state_dir, cooldown_questions=COOLDOWN_QUESTIONS,
                       cooldown_seconds=COOLDOWN_SECONDS) as bot:
        loop = asyncio.get_running_loop()
        asked: list[Asked] = []
        step = SPREAD_SECONDS / (USERS * PER_USER)
        started = loop.time()
        for k in range(USERS * PER_USER):
            delay = started + k * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing of the load generator, not a wait for the bot
            user, index = users[k % USERS], k // USERS
            question = QUESTIONS[k % len(QUESTIONS)]
            if (k + index) % 2 == 0:
                asked.append(Asked(user, index, "mention", await server.send_mention(user, question)))
            else:
                asked.append(Asked(user, index, "/ask", await server.send_slash(user, "ask", {"question": question})))
        sent_in = loop.time() - started

        def done() -> bool:
            return all(outcome(server, q)[1] is not None for q in asked)

        await server.wait_until(done, 30, "a reply or notice for every question")
        await server.quiet(0.5)
        bot.assert_alive()

    assert sent_in < 10.0
    results = [(q, *outcome(server, q)) for q in asked]
    problems = [(q.via, q.user, q.index, kinds) for q, kinds, _, _ in results if len(kinds) != 1]
    assert not problems, f"lost or duplicated replies: {problems[:10]}"
    for q, (kind,), _, _ in results:
        expected = "answer" if q.index < COOLDOWN_QUESTIONS else "notice"
        assert kind == expected, (q, kind)
    answers = sum(1 for _, (k,), _, _ in results if k == "answer")
    assert answers == USERS * COOLDOWN_QUESTIONS
    acks = [a for _, _, _, a in results if a is not None]
    assert max(acks) < server.interaction_deadline, "every interaction acknowledged within Discord's 3 s"
    assert bot.errors == [] and server.unhandled == []
    assert len(server.ok(MESSAGES)) == sum(1 for q in asked if q.via == "mention"), "no stray channel messages"

    lat = {"all": [l for _, _, l, _ in results]}
    lat["answers"] = [l for _, (k,), l, _ in results if k == "answer"]
    lat["notices"] = [l for _, (k,), l, _ in results if k == "notice"]
    lat["mention"] = [l for q, _, l, _ in results if q.via == "mention"]
    lat["/ask"] = [l for q, _, l, _ in results if q.via == "/ask"]
    lat["/ask ack"] = acks
    with capsys.disabled():
        limit = f"channel limit {channel_limit[0]}/{channel_limit[1]} s, {bucket.limited} 429s" if channel_limit \
            else "no REST rate limit"
        print(f"\n[e2e load] ({limit}) {len(asked)} questions from {USERS} users sent in {sent_in:.2f} s; "
              f"{answers} answers, {len(asked) - answers} cooldown notices; latency seen by the server:")
        for name, values in lat.items():
            print(f"[e2e load]   {name:<9} n={len(values):<3} p50={percentile(values, 50) * 1000:6.1f} ms  "
                  f"p95={percentile(values, 95) * 1000:6.1f} ms  max={max(values) * 1000:6.1f} ms")
