"""Card order inside a column: fractional-index keys from the ``fractional-indexing`` library.

A move writes one key between its new neighbours' keys, so no other row is renumbered.
Keys compare as byte strings (the column uses the "C" collation on PostgreSQL).
"""

from __future__ import annotations

import secrets
import threading

from fractional_indexing import BASE_62_DIGITS, generate_key_between


def between(before: str | None, after: str | None) -> str:
    """Return a key that sorts after ``before`` and before ``after`` (None = open end)."""
    key: str = generate_key_between(before, after)
    return key


class TopKeys:
    """Keys for new cards on top of a column, with no lock on the column: this process's
    writers (the ingest writer's store threads) place fires at once, side by side.

    Without the column's lock, two transactions see the same top card and would give the
    same key (``between(None, top)``), which the unique (column, rank) refuses to one of
    them. So each process ends its keys with a suffix of its own (another process, or a
    person moving a card to the top with the column locked, cannot make the same key), and
    remembers the lowest key it gave in each column (its own store threads, whose rows
    the others cannot see before they commit, never give one twice).
    """

    def __init__(self, suffix: str | None = None) -> None:
        if suffix is None:
            # Base-62 digits; a key's fraction must not end with the zero digit.
            suffix = "".join(secrets.choice(BASE_62_DIGITS) for _ in range(4)) + "V"
        self._suffix = suffix
        self._lowest: dict[int, str] = {}
        self._lock = threading.Lock()

    def issue(self, column_id: int, top: str | None, count: int) -> list[str]:
        """``count`` keys above ``top`` (the column's top card as this transaction sees
        it) and above every key this process gave in the column, newest (last) on top."""
        with self._lock:
            edge = top
            lowest = self._lowest.get(column_id)
            if lowest is not None and (edge is None or lowest < edge):
                edge = lowest
            keys: list[str] = []
            for _ in range(count):
                edge = self._below(edge)
                keys.append(edge)
            if keys:
                self._lowest[column_id] = keys[-1]
            return keys

    def _below(self, edge: str | None) -> str:
        key = between(None, edge)
        if edge is not None and key + self._suffix >= edge:
            key = between(None, key)  # the key was edge's own integer part: one below it
        mine = key + self._suffix
        return mine if edge is None or mine < edge else key
