"""``python -m bot serve`` as a separate process — the command users run — against the loopback Discord.

The subprocess gets the token from DISCORD_TOKEN and a config file, like a deployment; discord.py is
pointed at the server by loopback_site/sitecustomize.py (no citebot code changes). SIGTERM stops it
cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from .discord_server import FakeDiscord
from .harness import REPO_ROOT, SEEDS, TOMAHAWK_PARAGRAPH, TOMAHAWK_QUESTION, embed_text, unescape

SITE = Path(__file__).resolve().parent / "loopback_site"


async def _drain(stream: asyncio.StreamReader, sink: list[str]) -> None:
    while line := await stream.readline():
        sink.append(line.decode(errors="replace"))


async def test_citebot_serve_process_answers_and_stops_on_sigterm(discord_server: FakeDiscord, tmp_path: Path):
    server = discord_server
    config = tmp_path / "citebot.toml"
    config.write_text(
        "[discord]\n"
        f"guild_ids = [{server.world.guild_id}]\n"
        f'feedback_file = "{(tmp_path / "state" / "feedback.jsonl").as_posix()}"\n'
        "[logging]\nlevel = \"INFO\"\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DISCORD_TOKEN": server.token,
        "CITEBOT_E2E_API_BASE": server.api_base,
        "CITEBOT_E2E_GATEWAY": server.gateway_url,
        "PYTHONPATH": os.pathsep.join([str(SITE), str(REPO_ROOT)]),
        "CITEBOT_USER_SALT": "e2e",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", "--config", str(config), "--corpus", str(SEEDS),
        "--index", str(tmp_path / "index"),
        cwd=REPO_ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out: list[str] = []
    err: list[str] = []
    readers = [asyncio.create_task(_drain(proc.stdout, out)), asyncio.create_task(_drain(proc.stderr, err))]
    try:
        ready = asyncio.create_task(server.wait_ready(30))
        exited = asyncio.create_task(proc.wait())
        done, _ = await asyncio.wait({ready, exited}, timeout=31, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            await asyncio.wait_for(asyncio.gather(*readers), 5)
            raise AssertionError(f"citebot serve did not connect (exit {proc.returncode}):\n{''.join(err)}")
        exited.cancel()

        user = int(server.add_user("zoe")["id"])
        mid = await server.send_mention(user, TOMAHAWK_QUESTION)
        await server.wait_until(lambda: server.replies_to(mid), 15, "the reply from the serve process")
        it = await server.send_slash(user, "ask", {"question": "transparency mechanism"})
        other = int(server.add_user("yan")["id"])
        it2 = await server.send_slash(other, "ask", {"question": "transparency mechanism"})
        await server.wait_until(lambda: server.interaction_messages(it2), 15, "the /ask answer")
        await server.wait_until(lambda: server.interaction_messages(it), 15, "a response to /ask")

        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*readers), 5)

    logs = "".join(err)
    assert code == 0, logs
    (reply,) = server.replies_to(mid)
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(reply.json))
    assert reply.json["allowed_mentions"]["parse"] == []
    (ask_body,) = server.interaction_messages(it)
    assert "One question at a time" in (ask_body.get("content") or ""), "same user within the 5 s cooldown"
    (answer,) = server.interaction_messages(it2)
    assert TOMAHAWK_PARAGRAPH in unescape(embed_text(answer))
    assert "index ready" in logs
    assert server.token not in logs + "".join(out), "the token never reaches the logs"
    assert "Traceback" not in logs, logs
    assert server.unhandled == []
