"""Points discord.py at the loopback Discord in a ``citebot serve`` subprocess (tests only).

Python imports ``sitecustomize`` at start-up from the first folder on its path
that has one; test_e2e_serve.py puts this folder on PYTHONPATH and passes the
server's addresses in the two variables below. Only discord.py's REST base and
default gateway change; citebot's own code runs unmodified.
"""

import os

_base = os.environ.get("CITEBOT_E2E_API_BASE")
_gateway = os.environ.get("CITEBOT_E2E_GATEWAY")
if _base and _gateway:
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = _base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(_gateway)
