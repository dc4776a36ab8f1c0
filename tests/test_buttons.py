"""Answer buttons that outlive restarts (dynamic items + the database), and votes that count once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import create_autospec

import discord
import pytest

from bot.config import config_from_dict
from bot.discord.buttons import DYNAMIC_ITEMS, EXPIRED
from bot.discord.client import CitebotClient, EngineHolder
from bot.discord.policies import UserHasher
from bot.discord.state import StateDB
from retrieval import Engine
from tests.fakes import (
    BOT_ID, FakeClock, make_bot_user, make_channel, make_guild, make_interaction, make_message, make_user, sent_kwargs,
)

TOMAHAWK = "what did the US say about Tomahawk missiles?"


def make_client(engine: Any, db: StateDB, wall: FakeClock, **cfg: Any) -> CitebotClient:
    client = CitebotClient(EngineHolder(engine), config_from_dict({"discord": cfg}), clock=FakeClock(),
                           hash_user=UserHasher("salt"), reindex=None, state=db, wall_clock=wall)
    client._connection.user = make_bot_user()
    return client


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "state" / "citebot.sqlite3")


def custom_ids(view: discord.ui.View) -> list[str]:
    """The ids of the More results and vote buttons (the 🗑 button is bot/discord/edits.py's)."""
    return [item.custom_id for item in view.children if item.custom_id.startswith("cb:")]


def on_message(view: discord.ui.View | None, *, ephemeral: bool = False) -> Any:
    """The message a button sits on, as discord.py hands it to the interaction."""
    message = create_autospec(discord.Message, instance=True)
    message.flags = discord.MessageFlags(ephemeral=ephemeral)
    message.components = [discord.ActionRow({"type": 1, "components": [
        item.to_component_dict() for item in view.children]})] if view is not None else []
    return message


async def press(client: CitebotClient, custom_id: str, user: Any, *, message: Any = None) -> Any:
    """Dispatch a click the way discord.py does for a registered dynamic item (no view in memory)."""
    interaction = make_interaction(user=user, custom_id=custom_id)
    interaction.client = client
    interaction.message = message if message is not None else on_message(None)
    for cls in DYNAMIC_ITEMS:
        match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match:
            item = await cls.from_custom_id(interaction, None, match)
            await item.callback(interaction)
            return interaction
    raise AssertionError(f"no dynamic item matches {custom_id!r}")


async def ask(client: CitebotClient, user: Any, results: int = 3) -> discord.ui.View:
    interaction = make_interaction(user=user)
    await client.ask_command(interaction, TOMAHAWK, results)
    return sent_kwargs(interaction.followup.send)["view"]


async def test_more_results_pages_for_the_asker_only(seeds_engine: Engine, db: StateDB) -> None:
    client = make_client(seeds_engine, db, FakeClock())
    asker = make_user()
    view = await ask(client, asker)
    more, up, down = custom_ids(view)
    assert more.startswith("cb:more:") and more.endswith(":3") and up.endswith(":up") and down.endswith(":down")
    assert all(len(c) <= 100 for c in custom_ids(view))

    stranger = await press(client, more, make_user())
    args, kwargs = stranger.response.send_message.await_args
    assert "Only the person who asked" in args[0] and kwargs["ephemeral"] is True
    stranger.followup.send.assert_not_awaited()

    pages = []
    while more:
        click = await press(client, more, asker)
        new_view = click.response.edit_message.await_args.kwargs["view"]
        pages.append(sent_kwargs(click.followup.send)["embed"].to_dict())
        more = next((c for c in custom_ids(new_view) if c.startswith("cb:more:")), None)
    assert [f["name"].split("]")[0] for f in pages[0]["fields"]] == ["[4", "[5", "[6"]
    assert pages[0]["footer"]["text"].startswith("results 4–6 of")
    assert len(pages) >= 2


async def test_a_click_after_a_restart_gets_the_next_page(seeds_engine: Engine, db: StateDB, tmp_path: Path) -> None:
    asker = make_user()
    view = await ask(make_client(seeds_engine, db, FakeClock()), asker)
    more = custom_ids(view)[0]
    db.close()
    restarted = make_client(seeds_engine, StateDB(tmp_path / "state" / "citebot.sqlite3"), FakeClock())
    click = await press(restarted, more, asker, message=on_message(view))
    page = sent_kwargs(click.followup.send)["embed"].to_dict()
    assert page["fields"][0]["name"].startswith("[4]")


async def test_an_expired_or_unknown_answer_says_so_and_greys_out(seeds_engine: Engine, db: StateDB) -> None:
    wall = FakeClock()
    client = make_client(seeds_engine, db, wall)
    asker = make_user()
    view = await ask(client, asker)
    wall.advance(3601)
    for custom_id in custom_ids(view):
        click = await press(client, custom_id, asker, message=on_message(view))
        greyed = click.response.edit_message.await_args.kwargs["view"]
        assert custom_ids(greyed) == custom_ids(view)
        assert all(i.item.disabled for i in greyed.children if i.custom_id.startswith("cb:"))
        kept = [i for i in greyed.children if i.custom_id.startswith("citebot:remove")]
        assert len(kept) == 1 and not kept[0].item.disabled  # the 🗑 (bot/discord/edits.py) is left working
        args, kwargs = click.followup.send.await_args
        assert args[0] == EXPIRED and kwargs["ephemeral"] is True
    lost = await press(client, "cb:vote:0123456789abcdef:up", asker)  # e.g. the database was deleted
    lost_text = lost.followup.send.await_args.args[0] if lost.followup.send.await_count else \
        lost.response.send_message.await_args.args[0]
    assert lost_text == EXPIRED


async def test_one_vote_per_user_changeable_and_withdrawable(seeds_engine: Engine, db: StateDB) -> None:
    client = make_client(seeds_engine, db, FakeClock())
    view = await ask(client, make_user())
    _, up, down = custom_ids(view)
    qid = up.split(":")[2]
    voter = make_user()
    for _ in range(11):  # stuffing: eleven clicks on 👎 from the public message
        await press(client, down, voter, message=on_message(view))
    assert db.vote_counts(qid) == {"up": 0, "down": 1}  # odd number of presses: down

    first = await press(client, down, voter, message=on_message(view))  # the 12th press withdraws
    assert db.vote_counts(qid) == {"up": 0, "down": 0}
    args, kwargs = first.response.send_message.await_args
    assert "withdrawn" in args[0] and kwargs["ephemeral"] is True

    ballot = on_message(kwargs["view"], ephemeral=True)  # the voter's private copy
    change = await press(client, up, voter, message=ballot)
    assert db.vote_counts(qid) == {"up": 1, "down": 0}
    edited = change.response.edit_message.await_args.kwargs
    styles = {i.custom_id.split(":")[-1]: i.item.style for i in edited["view"].children}
    assert styles == {"up": discord.ButtonStyle.success, "down": discord.ButtonStyle.secondary}
    assert "Your vote: 👍" in edited["content"]

    await press(client, down, make_user(), message=on_message(view))  # another user: their own vote
    assert db.vote_counts(qid) == {"up": 1, "down": 1}
    (row,) = db.feedback()
    assert row.question == TOMAHAWK and len(row.paragraphs) == 3
    assert str(voter.id) not in repr(db.feedback()) and db.vote_of(qid, UserHasher("salt")(voter.id)) == "up"


async def test_no_vote_buttons_when_turned_off(seeds_engine: Engine, db: StateDB) -> None:
    view = await ask(make_client(seeds_engine, db, FakeClock(), feedback_buttons=False), make_user())
    assert [i.item.label for i in view.children if i.custom_id.startswith("cb:")] == ["More results"]


async def test_greying_out_an_ask_answer_after_the_token_expired_uses_the_channel(seeds_engine: Engine,
                                                                                   db: StateDB, caplog) -> None:
    wall = FakeClock()
    client = make_client(seeds_engine, db, wall)
    view = await ask(client, make_user())
    webhook_message = create_autospec(discord.WebhookMessage, instance=True)
    channel_message = create_autospec(discord.PartialMessage, instance=True)
    started = wall()
    wall.advance(3600)
    assert await client.answer_buttons.grey_out(webhook_message, view, interaction_started=started,
                                                channel_message=channel_message)
    webhook_message.edit.assert_not_awaited()  # its token died after 15 minutes
    edited = channel_message.edit.await_args.kwargs["view"]
    states = {i.custom_id.split(":")[1]: i.item.disabled for i in edited.children}
    assert states == {"more": True, "vote": True, "remove": False}  # the asker's 🗑 keeps working

    channel_message.edit.side_effect = discord.Forbidden(
        type("R", (), {"status": 403, "reason": "Forbidden"})(), {"code": 50001, "message": "Missing Access"})
    assert not await client.answer_buttons.grey_out(webhook_message, view, interaction_started=started,
                                                    channel_message=channel_message)
    assert any("could not grey out" in r.getMessage() for r in caplog.records)  # not silent


async def test_after_a_restart_stored_answers_are_greyed_out_when_due(seeds_engine: Engine, db: StateDB,
                                                                      tmp_path: Path) -> None:
    from tests.fakes_conversations import PartialChannels

    wall = FakeClock()
    first = make_client(seeds_engine, db, wall)
    channel = make_channel(guild=make_guild())
    for question in ("what did the US say about Tomahawk missiles?", "what did Russia propose?"):
        message = make_message(f"<@{BOT_ID}> {question}", channel=channel, guild=channel.guild)
        await first.on_message(message)
        wall.advance(1800)
    for handle in first._timers:  # the process stops: its timers are gone
        handle.cancel()
    # now: the first answer expired 30 minutes ago, the second expires in 30 minutes
    restarted = make_client(seeds_engine, StateDB(tmp_path / "state" / "citebot.sqlite3"), wall)
    partials = restarted.get_partial_messageable = PartialChannels()
    sent_views = [c.kwargs["view"] for c in channel.send.await_args_list]
    for (_, _, channel_id, message_id, _), view in zip(restarted.state.to_grey_out(0.0), sent_views):
        partials(channel_id).get_partial_message(message_id).fetch.return_value = on_message(view)
    assert restarted.schedule_stored_grey_outs() == 2
    for _ in range(5):
        await asyncio.sleep(0)
    (due,) = [m for m in partials.messages.values() if m.edit.await_count]
    view = due.edit.await_args.kwargs["view"]
    states = {i.custom_id.split(":")[1]: i.item.disabled for i in view.children}
    assert states == {"more": True, "vote": True, "remove": False}  # the 🗑 keeps working
    assert len(restarted._timers) == 1  # the other one waits for its own expiry
    for handle in restarted._timers:
        handle.cancel()
    assert restarted.schedule_stored_grey_outs() == 1  # the greyed one is not scheduled again
    for handle in restarted._timers:
        handle.cancel()
