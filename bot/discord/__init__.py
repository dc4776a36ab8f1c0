"""The Discord front-end: client and handlers, views (buttons), command sync, rendering, policies, feedback, and
the ``citebot serve`` / ``citebot invite-url`` commands.

Nothing is imported here, so ``import bot.discord.render`` does not pull in the whole client.
"""
