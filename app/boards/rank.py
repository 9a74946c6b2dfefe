"""Card order inside a column: fractional-index keys from the ``fractional-indexing`` library.

A move writes one key between its new neighbours' keys, so no other row is renumbered.
Keys compare as byte strings (the column uses the "C" collation on PostgreSQL).
"""

from __future__ import annotations

from fractional_indexing import generate_key_between


def between(before: str | None, after: str | None) -> str:
    """Return a key that sorts after ``before`` and before ``after`` (None = open end)."""
    key: str = generate_key_between(before, after)
    return key
