"""Many servers over the wire: per-server /config isolation between two guilds, and sharded start-up
(one process running two shards, and two processes running one shard each against one state folder)."""

from __future__ import annotations

from . import payloads as P
from .fake_guilds import shard_of
from .harness import TOMAHAWK_QUESTION, serving

MANAGE_GUILD = 1 << 5


def fields(server, message_id: int) -> int:
    (reply,) = server.replies_to(message_id)
    return len(reply.json["embeds"][0]["fields"])


async def ask_in(server, user: int, channel_id: int) -> int:
    mid = await server.send_mention(user, TOMAHAWK_QUESTION, channel_id=channel_id)
    await server.wait_until(lambda: server.replies_to(mid), 10, f"the answer in channel {channel_id}")
    return mid


async def test_config_in_one_server_does_not_touch_another(discord_server, e2e_engine, state_dir):
    server = discord_server
    _, other_channel = server.add_guild("second server")
    admin, alice = int(server.add_user("admin")["id"]), int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir, guild_ids=[], cooldown_seconds=0.0) as bot:
        member = await server.send_slash(alice, "config", {"setting": "results_per_page", "value": "5"},
                                         subcommand="set")
        await server.wait_until(lambda: server.interaction_messages(member), 10, "the refusal")
        (refusal,) = server.interaction_messages(member)
        assert "Manage Server" in refusal["content"] and refusal["flags"] & 64

        change = await server.send_slash(admin, "config", {"setting": "results_per_page", "value": "5"},
                                         subcommand="set", permissions=P.EVERYONE_PERMISSIONS | MANAGE_GUILD)
        await server.wait_until(lambda: server.interaction_messages(change), 10, "the change")
        here = await ask_in(server, alice, server.world.channel_id)
        there = await ask_in(server, alice, other_channel)
        show = await server.send_slash(admin, "config", {}, subcommand="show", channel_id=other_channel,
                                       permissions=P.EVERYONE_PERMISSIONS | MANAGE_GUILD)
        await server.wait_until(lambda: server.interaction_messages(show), 10, "/config show")
        await server.quiet()
        bot.assert_alive()
    assert fields(server, here) == 5 and fields(server, there) == 3
    (listing,) = server.interaction_messages(show)
    assert "results_per_page`: 3" in listing["content"] and str(server.world.channel_id) not in listing["content"]
    config = server.command("config")
    assert int(config["default_member_permissions"]) == MANAGE_GUILD and config["dm_permission"] is False
    assert int(server.command("reindex")["default_member_permissions"]) == 0
    assert bot.errors == [] and server.unhandled == []


async def test_one_process_runs_two_shards(discord_server, e2e_engine, state_dir):
    server = discord_server
    home_shard = shard_of(server.world.guild_id, 2)
    _, far_channel = server.add_guild("far server", shard=(1 - home_shard, 2))
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir, shard_count=2, cooldown_seconds=0.0, start_timeout=20) as bot:
        await server.wait_until(lambda: len(server.shard_sessions()) == 2, 20, "two shards")
        near = await ask_in(server, alice, server.world.channel_id)
        far = await ask_in(server, alice, far_channel)
        await server.quiet()
        bot.assert_alive()
    sessions = server.shard_sessions()
    assert {s.identify["shard"][1] for s in sessions.values()} == {2}
    guilds = {shard: [e[1]["d"]["id"] for e in s.events if e[1]["t"] == "GUILD_CREATE"] for shard, s in sessions.items()}
    assert guilds[home_shard] == [str(server.world.guild_id)] and len(guilds[1 - home_shard]) == 1
    assert fields(server, near) == 3 and fields(server, far) == 3
    assert bot.errors == []


async def test_two_processes_one_shard_each_share_the_state_folder(discord_server, e2e_engine, state_dir):
    server = discord_server
    home_shard = shard_of(server.world.guild_id, 2)
    _, far_channel = server.add_guild("far server", shard=(1 - home_shard, 2))
    alice = int(server.add_user("alice")["id"])
    async with serving(server, e2e_engine, state_dir, shard_count=2, shard_ids=[home_shard],
                       cooldown_seconds=0.0) as first:
        async with serving(server, e2e_engine, state_dir, shard_count=2, shard_ids=[1 - home_shard],
                           cooldown_seconds=0.0, start_timeout=20) as second:
            await server.wait_until(lambda: len(server.shard_sessions()) == 2, 20, "both processes connected")
            near = await ask_in(server, alice, server.world.channel_id)
            far = await ask_in(server, alice, far_channel)
            await server.quiet()
            first.assert_alive()
            second.assert_alive()
    # each guild's question went to its own process, exactly once
    assert len(server.replies_to(near)) == 1 and len(server.replies_to(far)) == 1
    assert first.client.shard_ids == [home_shard] and second.client.shard_ids == [1 - home_shard]
    assert first.errors == [] and second.errors == []


async def test_reindex_from_a_manage_server_member_who_is_not_an_owner_is_refused(discord_server, e2e_engine,
                                                                                  state_dir):
    server = discord_server
    admin, owner = int(server.add_user("admin")["id"]), int(server.add_user("operator")["id"])
    async with serving(server, e2e_engine, state_dir, owner_ids=[owner]) as bot:
        refused = await server.send_slash(admin, "reindex", permissions=P.EVERYONE_PERMISSIONS | MANAGE_GUILD)
        await server.wait_until(lambda: server.interaction_messages(refused), 10, "the refusal")
        done = await server.send_slash(owner, "reindex")
        await server.wait_until(lambda: any("Reindexed" in (b.get("content") or "")
                                            for b in server.interaction_messages(done)), 30, "the rebuild")
        again = await server.send_slash(owner, "reindex")
        await server.wait_until(lambda: server.interaction_messages(again), 10, "the cooldown notice")
        await server.quiet()
        bot.assert_alive()
    (refusal,) = server.interaction_messages(refused)
    assert refusal["flags"] & 64 and "operators" in refusal["content"]
    (cooldown,) = server.interaction_messages(again)
    assert cooldown["flags"] & 64 and "try again in" in cooldown["content"]
    assert bot.errors == []
