"""The README and config.example.toml cover every [discord] setting, with the real defaults."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

from bot.config import DiscordConfig, config_from_dict

ROOT = Path(__file__).resolve().parent.parent


def test_config_snippet_lists_every_key_with_its_default() -> None:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    assert set(raw["discord"]) == {f.name for f in fields(DiscordConfig)}
    assert config_from_dict(raw).discord == DiscordConfig()


def test_readme_section_documents_every_key() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [f.name for f in fields(DiscordConfig) if f"| `{f.name}` |" not in text]
    assert missing == []
    for needle in ("invite-url", "DISCORD_TOKEN", "Message Content", "applications.commands", "Embed Links"):
        assert needle in text
