"""Exceptions the retrieval core raises; front-ends turn them into one-line messages."""


class CitebotError(Exception):
    """Base class: the message is fit to show a user as is."""


class CorpusError(CitebotError):
    """The corpus folder is missing or holds no documents."""


class IndexCorrupt(CitebotError):
    """A stored index is incomplete or damaged (it is rebuilt)."""
