"""Seeded, deterministic split assignment (kept free of heavy imports: the CLI imports this package)."""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "test")


def unit_of(record_id: str, seed: int) -> float:
    """A uniform number in [0, 1) from a seeded hash of the record id."""
    h = hashlib.sha256(f"{seed}:{record_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def split_of(record_id: str, seed: int, validation: float, test: float) -> str:
    """Deterministic split from a seeded hash of the record id: stable when records are added or reordered."""
    u = unit_of(record_id, seed)
    if u < test:
        return "test"
    if u < test + validation:
        return "validation"
    return "train"
