"""The Discord front-end: client and handlers, permissions, restart-proof buttons, the state database, views,
command sync, rendering, policies, and
the ``citebot serve`` / ``citebot invite-url`` commands.

Nothing is imported here, so ``import bot.discord.render`` does not pull in the whole client.
"""
