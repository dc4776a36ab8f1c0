"""The engine in use, swapped atomically by /reindex."""

from __future__ import annotations

from typing import Any


class EngineHolder:
    """The engine in use; ``swap`` replaces it atomically (a single reference assignment).

    Each question reads ``current`` once, so a question that started on the
    old engine finishes on it while new questions use the new one.
    """

    def __init__(self, engine: Any):
        self._engine = engine

    @property
    def current(self) -> Any:
        return self._engine

    def swap(self, engine: Any) -> Any:
        old, self._engine = self._engine, engine
        return old
