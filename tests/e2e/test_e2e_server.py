"""The loopback server speaks enough Discord for a plain discord.py client.

These tests need no citebot code: they prove the server itself before the bot
suite relies on it.
"""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands

from .harness import running
from .discord_server import FakeDiscord


def _client(*, message_content: bool = True) -> discord.Client:
    intents = discord.Intents.default()
    intents.message_content = message_content
    return discord.Client(intents=intents)


async def test_plain_client_connects_receives_and_replies(discord_server: FakeDiscord) -> None:
    server = discord_server
    client = _client()
    seen: list[discord.Message] = []
    ready = asyncio.Event()

    @client.event
    async def on_ready() -> None:
        ready.set()

    @client.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message)
        if message.author.bot:
            return
        await message.reply(f"echo: {message.content}", mention_author=False)

    alice = server.add_user("alice")
    async with running(client, server):
        await asyncio.wait_for(ready.wait(), 10)
        guild = client.get_guild(server.world.guild_id)
        assert guild is not None and guild.get_channel(server.world.channel_id) is not None
        assert client.user is not None and client.user.id == server.world.bot_user_id

        mid = await server.send_message(int(alice["id"]), "hello there")
        await server.wait_until(lambda: server.replies_to(mid), 5, "the echo reply")
        # the bot's own message comes back over the gateway, and the client ignores it
        await server.wait_until(lambda: any(m.author.bot for m in seen), 5, "the echo of the bot's message")

    (reply,) = server.replies_to(mid)
    assert reply.json["content"] == "echo: hello there"
    assert reply.json["allowed_mentions"]["replied_user"] is False
    assert reply.authorization == f"Bot {server.token}"
    assert server.unhandled == []
    identify = next(f for f in server.gateway_received if f["op"] == 2)
    assert identify["d"]["token"] == server.token
    assert any(f["op"] == 1 for f in server.gateway_received), "the client heartbeats"
    assert server.compression == ["zlib-stream"] or server.compression == ["zstd-stream"], server.compression


async def test_without_message_content_intent_content_is_blank_unless_mentioned(discord_server: FakeDiscord) -> None:
    server = discord_server
    client = _client(message_content=False)
    contents: list[str] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            contents.append(message.content)

    bob = int(server.add_user("bob")["id"])
    async with running(client, server):
        await server.send_message(bob, "not for the bot")
        await server.send_mention(bob, "for the bot")
        await server.wait_until(lambda: len(contents) == 2, 5, "two messages")
    assert contents == ["", f"<@{server.world.bot_user_id}> for the bot"]


async def test_resume_replays_events_missed_while_disconnected(discord_server: FakeDiscord) -> None:
    server = discord_server
    client = _client()
    contents: list[str] = []

    @client.event
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            contents.append(message.content)

    carol = int(server.add_user("carol")["id"])
    async with running(client, server):
        session = server.session
        await server.drop_gateway()  # TCP reset, no close frame
        await server.send_message(carol, "sent while the bot was away")
        await server.wait_until(lambda: session.resumed == 1 and session.conn is not None, 15, "RESUME")
        await server.wait_until(lambda: contents, 5, "the replayed message")
    assert contents == ["sent while the bot was away"]
    assert len(server.sessions) == 1, "resumed, not re-identified"


async def test_slash_command_sync_callback_and_followup(discord_server: FakeDiscord) -> None:
    server = discord_server
    client = _client()
    tree = app_commands.CommandTree(client)
    guild = discord.Object(server.world.guild_id)

    @tree.command(name="echo", description="Say it back", guild=guild)
    @app_commands.describe(text="what to say")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"you said {text}")
        await interaction.followup.send("and one more", ephemeral=True)

    @client.event
    async def setup_hook() -> None:  # type: ignore[misc]
        await tree.sync(guild=guild)

    dave = int(server.add_user("dave")["id"])
    async with running(client, server):
        it = await server.send_slash(dave, "echo", {"text": "hi"})
        await server.wait_until(lambda: len(server.interaction_messages(it)) == 2, 5, "edit and follow-up")
    callback, edit, followup = server.interaction_requests(it)
    assert callback.json["type"] == 5 and callback.status == 200
    assert edit.method == "PATCH" and edit.json["content"] == "you said hi"
    assert followup.json["content"] == "and one more" and followup.json["flags"] & 64
    assert server.unhandled == []


async def test_rest_429_is_retried_after_retry_after(discord_server: FakeDiscord) -> None:
    server = discord_server
    client = _client()
    async with running(client, server):
        server.fail_next("POST /channels/{channel_id}/messages", 429, retry_after=0.3)
        channel = client.get_channel(server.world.channel_id)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.wait_for(channel.send("after the wait"), 5)
        waited = loop.time() - t0
    posts = [r for r in server.requests if r.route == "POST /channels/{channel_id}/messages"]
    assert [p.status for p in posts] == [429, 200]
    assert waited >= 0.3
