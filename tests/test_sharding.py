"""[discord] shard_count / shard_ids: AutoShardedClient with those shards; bad values are one-line errors."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from bot.config import ConfigError, config_from_dict
from bot.discord.client import CitebotClient, ShardedCitebotClient
from bot.discord.serve import build_client
from bot.engine_holder import EngineHolder


def client_for(tmp_path: Path, engine, **discord_cfg) -> CitebotClient:
    config = config_from_dict({"index": {"path": str(tmp_path / "idx")},
                               "discord": {"state_dir": str(tmp_path / "state"), **discord_cfg}})
    return build_client(EngineHolder(engine), config)


def test_unsharded_by_default(tmp_path: Path, seeds_engine) -> None:
    client = client_for(tmp_path, seeds_engine)
    assert type(client) is CitebotClient and not isinstance(client, discord.AutoShardedClient)


def test_shards_from_the_config(tmp_path: Path, seeds_engine) -> None:
    both = client_for(tmp_path, seeds_engine, shard_count=2)
    assert isinstance(both, ShardedCitebotClient) and isinstance(both, discord.AutoShardedClient)
    assert both.shard_count == 2 and both.shard_ids is None  # all of them
    one = client_for(tmp_path, seeds_engine, shard_count=4, shard_ids=[3])
    assert one.shard_count == 4 and one.shard_ids == [3]


@pytest.mark.parametrize("section, message", [
    ({"shard_ids": [0]}, "needs shard_count"),
    ({"shard_count": 2, "shard_ids": [2]}, "between 0 and shard_count - 1"),
])
def test_bad_shard_settings(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"discord": section})
