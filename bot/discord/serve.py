"""``citebot serve`` (run the Discord bot) and ``citebot invite-url``.

The bot starts through :func:`run_bot` – the same function tests use to run
the real client against a loopback fake Discord (they point discord.py's
``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` at it; nothing here
names a Discord host).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import discord

from bot.cli.options import common_options, configure_logging, load_config_from_ctx, open_engine, option_value
from bot.config import Config
from bot.discord.client import CitebotClient, EngineHolder, client_class, shard_options
from bot.discord.policies import SALT_FILE_NAME, UserHasher, load_salt
from bot.discord.state import StateDB, database_path
from retrieval import Engine

log = logging.getLogger(__name__)

PORTAL_URL = "https://discord.com/developers/applications"
SCOPES = ("bot", "applications.commands")
# Only what the bot uses: read the channel, reply (also in threads) with embeds, reply to a message,
# open a thread for an answer (answer_in_thread).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    embed_links=True,
    read_message_history=True,
)


class BotSetupError(click.ClickException):
    """A one-line error (no usage text, no traceback) that exits with status 2."""

    exit_code = 2


def invite_url(application_id: int) -> str:
    """The OAuth2 URL that adds the bot to a server with just the permissions it needs."""
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS, scopes=SCOPES)


def read_token(config: Config, environ: Mapping[str, str] | None = None) -> str:
    """The bot token from the environment variable named in ``[discord] token_env``."""
    environ = os.environ if environ is None else environ
    name = config.discord.token_env
    token = environ.get(name, "").strip()
    if not token:
        raise BotSetupError(
            f"no Discord bot token: set the {name} environment variable to your bot's token "
            f"(create it under your application's Bot page, Reset Token, at {PORTAL_URL})"
        )
    return token


def reindexer(config: Config, corpus: str | Path | None = None, index: str | Path | None = None
              ) -> Callable[[], Engine]:
    """What /reindex runs (in an executor): rebuild the index for the configured corpus."""
    corpus, index = Path(corpus or config.corpus_path), Path(index or config.index_path)
    return lambda: Engine.open(corpus, index, config.settings, force=True)


def index_options(config: Config, corpus: str | Path | None = None, index: str | Path | None = None
                  ) -> dict[str, Any]:
    """Client keyword arguments for /reindex and for serving a rebuild made by another process."""
    corpus, index = Path(corpus or config.corpus_path), Path(index or config.index_path)
    return {"reindex": reindexer(config, corpus, index), "index_dir": index,
            "load_index": lambda: Engine.open(corpus, index, config.settings)}


def bot_dependencies(config: Config, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The state database, user hasher and reindexer the config asks for (client keyword arguments)."""
    cfg = config.discord
    state_dir = Path(cfg.state_dir)
    salt = load_salt(cfg.user_hash_salt_env, state_dir / SALT_FILE_NAME, dict(environ or os.environ))
    return {
        "state": StateDB(database_path(state_dir)),
        "hash_user": UserHasher(salt),
        "state_dir": state_dir,
        **index_options(config),
    }


def build_client(holder: EngineHolder, config: Config, **options: Any) -> CitebotClient:
    """The configured client; ``options`` override dependencies (state, hash_user, reindex…)."""
    deps = bot_dependencies(config) if not {"state", "hash_user", "reindex"} <= options.keys() else {}
    return client_class(config.discord)(holder, config, **{**shard_options(config.discord), **deps, **options})


async def run_bot(holder: EngineHolder, config: Config, token: str, *,
                  on_client: Callable[[CitebotClient], Any] | None = None, handle_sigterm: bool = False,
                  **options: Any) -> None:
    """Connect and serve until the client is closed (``citebot serve`` runs exactly this).

    ``on_client`` receives the client before it connects (e.g. so a caller can
    ``await client.close()`` later). Raises discord.LoginFailure for a bad token.
    """
    client = build_client(holder, config, **options)
    if on_client is not None:
        on_client(client)
    if handle_sigterm:
        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(client.close()))
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            pass
    async with client:
        await client.start(token)


class _RedactToken(logging.Filter):
    """Defence in depth: never let the token reach a log line."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "[token]"), ()
        return True


def _not_about_voice(record: logging.LogRecord) -> bool:
    return "voice will NOT be supported" not in str(record.msg)  # citebot never joins voice


def _setup_logging(debug: bool, config: Config, token: str) -> None:
    configure_logging(debug, config.log_level)
    # discord.py's own DEBUG output carries raw payloads (message text); keep it at INFO.
    logging.getLogger("discord").setLevel(max(logging.getLogger().level, logging.INFO))
    logging.getLogger("discord.client").addFilter(_not_about_voice)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_RedactToken(token))


@click.command("serve")
@common_options
@click.option("--sync-commands", is_flag=True, help="Sync slash commands globally even if they look unchanged.")
@click.pass_context
def serve_command(ctx: click.Context, sync_commands: bool) -> None:
    """Run the Discord bot (token from $DISCORD_TOKEN, or the variable named in [discord] token_env).

    The index is loaded (or built) before connecting. Exits 2 when the token
    is missing or rejected.

    \b
    Example:
      DISCORD_TOKEN=... citebot serve --config citebot.toml
    """
    config = load_config_from_ctx(ctx)
    token = read_token(config)
    _setup_logging(bool(option_value(ctx, "debug")), config, token)
    engine, config = open_engine(ctx, progress=sys.stderr.isatty())  # before connecting
    log.info("index ready: %s documents, %s paragraphs", engine.stats.documents, engine.stats.paragraphs)
    indexes = index_options(config, option_value(ctx, "corpus"), option_value(ctx, "index"))
    try:
        asyncio.run(run_bot(EngineHolder(engine), config, token, force_sync=sync_commands, handle_sigterm=True,
                            **indexes))
    except discord.LoginFailure:
        raise BotSetupError(f"Discord rejected the token in {config.discord.token_env}; reset it on your "
                            f"application's Bot page at {PORTAL_URL} and try again") from None
    except discord.PrivilegedIntentsRequired:
        raise BotSetupError("[discord] message_content_intent is on but the Message Content Intent is not "
                            f"enabled for this bot: turn it on under Bot, Privileged Gateway Intents at "
                            f"{PORTAL_URL}, or set message_content_intent = false") from None
    except (discord.GatewayNotFound, discord.HTTPException, OSError) as exc:
        raise click.ClickException(f"could not connect to Discord: {exc}") from None
    except KeyboardInterrupt:
        log.info("stopped")


@click.command("invite-url")
@common_options
@click.option("--application-id", type=click.IntRange(min=1), default=None, metavar="ID",
              help="Application ID (default: [discord] application_id in the config).")
@click.pass_context
def invite_url_command(ctx: click.Context, application_id: int | None) -> None:
    """Print the URL that adds the bot to a server (scopes bot + applications.commands).

    It asks only for the permissions the bot uses: View Channels, Send
    Messages, Send Messages in Threads, Embed Links, Read Message History.

    \b
    Example:
      citebot invite-url --application-id 123456789012345678
    """
    config = load_config_from_ctx(ctx)
    app_id = application_id or config.discord.application_id
    if not app_id:
        raise BotSetupError(f"no application id: set application_id in [discord] (the Application ID on the "
                            f"General Information page at {PORTAL_URL}) or pass --application-id")
    click.echo(invite_url(app_id))
