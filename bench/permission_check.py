"""Cost of the permission check the bot makes before answering a message (bot/discord/permissions.py).

    .venv/bin/python -m bench.permission_check

A guild is built from a GUILD_CREATE payload by discord.py itself (its own
ConnectionState parses it, as on the gateway): ``--roles`` roles, the bot
holding ``--bot-roles`` of them, ``--channels`` text channels each with
``--overwrites`` permission overwrites (some aimed at the bot's roles), and a
thread in the last channel. It times :func:`plan_for_channel` (what each
addressed message pays: ``channel.permissions_for(guild.me)`` + the rule) and,
for comparison, the full ``CitebotClient.question_in`` + ``reply_plan`` path up
to the point where the answer would be computed. Prints medians in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import time
from typing import Any

import discord
from discord.state import ConnectionState

from bot.config import config_from_dict
from bot.discord.client import CitebotClient, EngineHolder
from bot.discord.permissions import plan_for_channel
from bot.discord.policies import UserHasher

BOT_ID = 900_000_000_000_000_001
GUILD_ID = 800_000_000_000_000_001


def guild_payload(roles: int, bot_roles: int, channels: int, overwrites: int) -> dict[str, Any]:
    role_ids = [GUILD_ID + 1 + i for i in range(roles)]
    everyone = (1 << 10) | (1 << 11) | (1 << 16)
    role_list = [{"id": str(GUILD_ID), "name": "@everyone", "permissions": str(everyone), "position": 0,
                  "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}]
    role_list += [{"id": str(r), "name": f"role{i}", "permissions": str(1 << (i % 30)), "position": i + 1,
                   "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
                  for i, r in enumerate(role_ids)]
    chans = []
    for c in range(channels):
        ows = [{"id": str(role_ids[(c + k) % roles]), "type": 0, "allow": str(1 << 14), "deny": str(1 << 13)}
               for k in range(overwrites)]
        chans.append({"id": str(GUILD_ID + 10_000 + c), "type": 0, "name": f"chan{c}", "position": c,
                      "permission_overwrites": ows, "guild_id": str(GUILD_ID), "parent_id": None, "nsfw": False})
    bot = {"user": {"id": str(BOT_ID), "username": "citebot", "discriminator": "0", "avatar": None, "bot": True},
           "roles": [str(r) for r in role_ids[:bot_roles]], "joined_at": "2024-01-01T00:00:00+00:00",
           "deaf": False, "mute": False, "flags": 0}
    thread = {"id": str(GUILD_ID + 90_000), "type": 11, "name": "thread", "guild_id": str(GUILD_ID),
              "parent_id": chans[-1]["id"], "owner_id": str(BOT_ID), "member_count": 1, "message_count": 1,
              "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "locked": False,
                                  "archive_timestamp": "2024-01-01T00:00:00+00:00"}}
    return {"id": str(GUILD_ID), "name": "bench", "owner_id": "1", "roles": role_list, "channels": chans,
            "threads": [thread], "members": [bot], "emojis": [], "stickers": [], "features": [],
            "member_count": 1, "large": False, "unavailable": False, "voice_states": [], "presences": []}


def median_us(fn, rounds: int, inner: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - started) / inner * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--roles", type=int, default=50)
    parser.add_argument("--bot-roles", type=int, default=3)
    parser.add_argument("--channels", type=int, default=200)
    parser.add_argument("--overwrites", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inner", type=int, default=2000)
    args = parser.parse_args()

    async def run() -> dict[str, Any]:
        client = CitebotClient(EngineHolder(None), config_from_dict({}), hash_user=UserHasher("bench"),
                               intents=discord.Intents.none())
        state: ConnectionState = client._connection
        state.user = discord.ClientUser(state=state, data={"id": str(BOT_ID), "username": "citebot",
                                                           "discriminator": "0", "avatar": None, "bot": True})
        guild = discord.Guild(data=guild_payload(args.roles, args.bot_roles, args.channels, args.overwrites),
                              state=state)
        state._add_guild(guild)
        channel = guild.text_channels[-1]
        thread = guild.threads[0]
        author = {"id": "5", "username": "alice", "discriminator": "0", "avatar": None}
        data = {"id": "7", "channel_id": str(channel.id), "guild_id": str(guild.id), "author": author,
                "content": f"<@{BOT_ID}> what did the US say about Tomahawk missiles?", "timestamp":
                "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [dict(author, id=str(BOT_ID), bot=True)], "mention_roles": [], "attachments": [],
                "embeds": [], "pinned": False, "type": 0, "flags": 0}
        message = discord.Message(state=state, channel=channel, data=data)
        plan = plan_for_channel(channel)
        out = {
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "discord.py": discord.__version__, **vars(args), "plan": repr(plan),
            "channel_us": median_us(lambda: plan_for_channel(channel), args.rounds, args.inner),
            "thread_us": median_us(lambda: plan_for_channel(thread), args.rounds, args.inner),
            "question_in_us": median_us(lambda: client.question_in(message), args.rounds, args.inner),
            "question_in_plus_plan_us": median_us(lambda: (client.question_in(message), client.reply_plan(channel)),
                                                  args.rounds, args.inner),
        }
        return out

    print(json.dumps(asyncio.run(run()), indent=2))


if __name__ == "__main__":
    main()
