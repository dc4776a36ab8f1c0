"""Registering the slash commands with Discord: per guild (instant) or globally when changed.

Global registration can take Discord up to an hour to roll out, and is rate
limited, so it only happens when the command set differs from the last sync
(a hash kept in a small state file written atomically).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import discord
from discord import app_commands

log = logging.getLogger(__name__)

COMMANDS_HASH_FILE = "commands.sha256"


def commands_hash(tree: app_commands.CommandTree, application_id: int | None) -> str:
    """A fingerprint of the command definitions (and the application they belong to)."""
    payload = [c.to_dict(tree) for c in tree.get_commands()]
    blob = json.dumps({"app": application_id, "commands": payload}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


async def sync_commands(tree: app_commands.CommandTree, *, guild_ids: Iterable[int], state_dir: Path,
                        application_id: int | None, force: bool = False) -> None:
    """Sync to each guild in ``guild_ids``; with none, globally unless unchanged since last time.

    Failures are logged, not raised: mentions keep working without slash commands.
    """
    guild_ids = list(guild_ids)
    try:
        for guild_id in guild_ids:
            guild = discord.Object(id=guild_id)
            tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
            log.info("synced %d slash commands to guild %s", len(synced), guild_id)
        if guild_ids:
            return
        digest, hash_file = commands_hash(tree, application_id), Path(state_dir) / COMMANDS_HASH_FILE
        if not force and hash_file.exists() and hash_file.read_text(encoding="utf-8").strip() == digest:
            log.info("slash commands unchanged since the last global sync; not syncing")
            return
        synced = await tree.sync()
        write_atomic(hash_file, digest)
        log.info("synced %d slash commands globally (Discord can take up to an hour to show them)", len(synced))
    except discord.HTTPException as exc:
        log.error("could not sync slash commands (%s); was the bot invited with the applications.commands "
                  "scope? Mentions still work.", exc)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and ``os.replace`` so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
