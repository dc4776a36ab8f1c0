"""Registering the slash commands with Discord: per guild (instant) or globally when changed.

Global registration is rate limited, so it only happens when the command set
differs from the last sync (a hash kept in a small state file written
atomically). Switching between the two leaves no duplicates: the guilds synced
last time are remembered, and their guild commands are cleared when the bot
goes global; going back to guilds clears the global set.
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
GUILDS_FILE = "commands.guilds"  # the guild ids commands were last synced to, one per line


def commands_hash(tree: app_commands.CommandTree, application_id: int | None) -> str:
    """A fingerprint of the command definitions (and the application they belong to)."""
    payload = [c.to_dict(tree) for c in tree.get_commands()]
    blob = json.dumps({"app": application_id, "commands": payload}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_guilds(path: Path) -> set[int]:
    try:
        return {int(line) for line in path.read_text(encoding="utf-8").split() if line.isdigit()}
    except OSError:
        return set()


async def _sync_guild(tree: app_commands.CommandTree, guild_id: int, *, clear: bool = False) -> bool:
    """Sync (or, with ``clear``, empty) one guild's commands; a failure is logged, not raised."""
    guild = discord.Object(id=guild_id)
    try:
        if clear:
            tree.clear_commands(guild=guild)
        else:
            tree.copy_global_to(guild=guild)
        synced = await tree.sync(guild=guild)
    except discord.HTTPException as exc:
        log.error("could not sync slash commands to guild %s (%s); was the bot invited there with the "
                  "applications.commands scope? The other guilds are unaffected.", guild_id, exc)
        return False
    if clear:
        log.info("removed citebot's guild commands from guild %s (now global)", guild_id)
    else:
        log.info("synced %d slash commands to guild %s", len(synced), guild_id)
    return True


async def sync_commands(tree: app_commands.CommandTree, *, guild_ids: Iterable[int], state_dir: Path,
                        application_id: int | None, force: bool = False) -> None:
    """Sync to each guild in ``guild_ids``; with none, globally unless unchanged since last time.

    Failures are logged, not raised (one failing guild does not stop the
    others): mentions keep working without slash commands.
    """
    guild_ids = list(dict.fromkeys(guild_ids))
    state_dir = Path(state_dir)
    hash_file, guilds_file = state_dir / COMMANDS_HASH_FILE, state_dir / GUILDS_FILE
    previous_guilds = _read_guilds(guilds_file)
    if guild_ids:
        done = [g for g in guild_ids if await _sync_guild(tree, g)]
        for stale in sorted(previous_guilds - set(guild_ids)):
            if await _sync_guild(tree, stale, clear=True):
                previous_guilds.discard(stale)
        write_atomic(guilds_file, "\n".join(str(g) for g in sorted(previous_guilds | set(done))))
        if hash_file.exists():  # the bot was global before: remove the global set, or users see each twice
            global_commands = tree.get_commands()
            tree.clear_commands(guild=None)  # the guild copies serve every command from here on
            try:
                await tree.sync()
            except discord.HTTPException as exc:
                log.error("could not remove the global slash commands (%s)", exc)
            else:
                hash_file.unlink(missing_ok=True)
                log.info("removed citebot's global slash commands (now per guild)")
            finally:
                for command in global_commands:
                    tree.add_command(command)
        return
    digest = commands_hash(tree, application_id)
    unchanged = hash_file.exists() and hash_file.read_text(encoding="utf-8").strip() == digest
    if not force and unchanged:
        log.info("slash commands unchanged since the last global sync; not syncing")
    else:
        try:
            synced = await tree.sync()
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (%s); was the bot invited with the applications.commands "
                      "scope? Mentions still work.", exc)
            return
        write_atomic(hash_file, digest)
        log.info("synced %d slash commands globally", len(synced))
    cleared = {g for g in previous_guilds if await _sync_guild(tree, g, clear=True)}
    if previous_guilds:
        left = previous_guilds - cleared
        if left:
            write_atomic(guilds_file, "\n".join(str(g) for g in sorted(left)))
        else:
            guilds_file.unlink(missing_ok=True)


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
