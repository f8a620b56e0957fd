"""Exact (normalized hash) and near-duplicate (MinHash + LSH from `datasketch`) detection, streaming.

One index covers the whole corpus before it is split, so a kept record never has a near-duplicate in any
split: nothing in validation/test has a copy in train. Memory grows with the record count, not record size:
a 16-byte digest per record, a `num_perm` x uint32 signature per record, and the LSH band tables.
LSH candidates are confirmed with the MinHash Jaccard estimate against the threshold, so the banding is
tuned for recall (few missed pairs) and its false positives cost one vector comparison.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
_BLOCK = 4096
_PRIME = np.uint64(0x100000001B3)


def normalize_for_hash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def exact_key(texts: list[str]) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        h.update(normalize_for_hash(t).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.digest()


def shingles(texts: list[str], n: int) -> list[int]:
    """32-bit hashes of the word n-grams of the casefolded text (one value when it is shorter than n).

    Each word is hashed once (CRC-32, deterministic across processes, unlike `hash()`); an n-gram's hash
    is a polynomial over its words' hashes, computed for all n-grams at once with numpy.
    """
    words = _WORD.findall(" ".join(texts).casefold())
    if not words:
        return []
    wh = np.array(list(map(zlib.crc32, map(str.encode, words))), dtype=np.uint64)
    k = max(1, len(words) - n + 1)
    width = min(n, len(words))
    h = np.zeros(k, dtype=np.uint64)
    for j in range(width):
        h = h * _PRIME + wh[j : j + k]
    return ((h >> np.uint64(32)) ^ h).astype(np.uint32).tolist()


def _identity(x: object) -> object:
    return x


@dataclass
class Match:
    kind: str  # exact | near
    kept: int  # index of the kept record it duplicates
    similarity: float


class Deduper:
    """`check()` a record's texts; `commit()` it if it is kept. Indices are the caller's kept-record numbers."""

    def __init__(self, exact: bool, near: float | None, shingle: int = 5, num_perm: int = 64, seed: int = 1):
        self.exact = exact
        self.near = near
        self.n = shingle
        self.num_perm = num_perm
        self._hashes: dict[bytes, int] = {}
        self._lsh = None
        if near is not None:
            from datasketch import MinHash, MinHashLSH

            # the inputs are already 32-bit shingle hashes (see `shingles`); band keys are CRC-32 ints,
            # smaller than the raw band bytes (an occasional collision only adds a candidate to verify)
            self._template = MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity)
            self._lsh = MinHashLSH(threshold=near, num_perm=num_perm, weights=(0.1, 0.9), hashfunc=zlib.crc32)
            self._blocks: list[np.ndarray] = []
        self._pending: tuple[bytes | None, object | None] = (None, None)

    @property
    def lsh_params(self) -> dict[str, int] | None:
        return (
            None
            if self._lsh is None
            else {"bands": self._lsh.b, "rows": self._lsh.r, "num_perm": self.num_perm}
        )

    def check(self, texts: list[str]) -> Match | None:
        key = exact_key(texts) if self.exact else None
        mh = None
        self._pending = (key, None)
        if key is not None and key in self._hashes:
            return Match("exact", self._hashes[key], 1.0)
        if self._lsh is not None:
            sh = shingles(texts, self.n)
            if sh:
                mh = self._template.copy()
                mh.update_batch(sh)
                best: Match | None = None
                for cand in self._lsh.query(mh):
                    sig = self._blocks[cand // _BLOCK][cand % _BLOCK]
                    sim = float(np.count_nonzero(sig == mh.hashvalues)) / self.num_perm
                    if sim >= self.near and (
                        best is None or sim > best.similarity or (sim == best.similarity and cand < best.kept)
                    ):
                        best = Match("near", int(cand), sim)
                self._pending = (key, mh)
                if best is not None:
                    return best
        self._pending = (key, mh)
        return None

    def commit(self, index: int) -> None:
        """Index the record last passed to `check()` under the caller's kept-record number `index`."""
        key, mh = self._pending
        if key is not None:
            self._hashes[key] = index
        if self._lsh is not None:
            if index // _BLOCK >= len(self._blocks):
                self._blocks.append(np.zeros((_BLOCK, self.num_perm), dtype=np.uint32))
            if mh is not None:
                self._blocks[index // _BLOCK][index % _BLOCK] = mh.hashvalues  # type: ignore[attr-defined]
                self._lsh.insert(index, mh, check_duplication=False)
        self._pending = (None, None)


__all__ = ["Deduper", "Match", "exact_key", "normalize_for_hash", "shingles"]
