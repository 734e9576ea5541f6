"""Stage 3, fingerprint: token lists -> shingle hashes -> MinHash signatures, as numpy arrays.

The scheme is datasketch's ``affine32`` (MurmurHash3 finalizer pre-mix, then ``a * h + b mod 2^32`` with the
permutations datasketch draws from ``seed``), so every signature here equals
``MinHash(num_perm, seed, hashfunc=int).update_batch(shingle_hashes)`` and can be handed to ``MinHashLSH`` or
saved as a ``LeanMinHash``. Permutations are built once per run; all of a text's shingles are permuted in one
array operation, never in a per-shingle Python loop.

    >>> fp = Fingerprinter(num_perm=128, seed=1, shingle_size=5)
    >>> fp.signature(["a", "b", "c", "d", "e", "f"]).shape
    (128,)
"""

from __future__ import annotations

import zlib
from functools import cached_property

import numpy as np
from datasketch import LeanMinHash, MinHash

EMPTY = np.uint32(0xFFFFFFFF)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x27D4EB2F165667C5, 0x94D049BB133111EB,
                 0xBF58476D1CE4E5B9, 0x85EBCA77C2B2AE63], dtype=np.uint64)


def token_hashes(words: list[str]) -> np.ndarray:
    """32-bit CRC of each word, as uint64 for mixing."""
    return np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint64, count=len(words))


def shingle_hashes(words: list[str], size: int) -> np.ndarray:
    """32-bit hashes of the word ``size``-grams of ``words`` (one hash of all words when there are fewer)."""
    if not words:
        return np.empty(0, dtype=np.uint32)
    h = token_hashes(words)
    k = min(size, len(h))
    n = len(h) - k + 1
    acc = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        acc = acc * np.uint64(31) + h[j:j + n] * _MIX[j]
    return ((acc >> np.uint64(32)) ^ (acc & np.uint64(0xFFFFFFFF))).astype(np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class Fingerprinter:
    """MinHash signatures in datasketch's affine32 scheme, computed as array operations."""

    def __init__(self, *, num_perm: int, seed: int, shingle_size: int) -> None:
        self.num_perm = num_perm
        self.seed = seed
        self.shingle_size = shingle_size

    @cached_property
    def permutations(self) -> np.ndarray:
        """datasketch's permutation parameters for this seed, shape (2, num_perm), uint32."""
        return MinHash(num_perm=self.num_perm, seed=self.seed, scheme="affine32").permutations

    def signature_of_hashes(self, hashes: np.ndarray) -> np.ndarray:
        """Signature of a set of 32-bit shingle hashes (all ``EMPTY`` for no shingles)."""
        if hashes.size == 0:
            return np.full(self.num_perm, EMPTY, dtype=np.uint32)
        a, b = self.permutations
        with np.errstate(over="ignore"):
            mixed = fmix32(hashes.astype(np.uint32)).reshape(-1, 1)
            return (mixed * a + b).min(axis=0)

    def signature(self, words: list[str]) -> np.ndarray:
        """Signature of the word shingles of ``words``."""
        return self.signature_of_hashes(shingle_hashes(words, self.shingle_size))

    def minhash(self, signature: np.ndarray) -> LeanMinHash:
        """A datasketch ``LeanMinHash`` holding ``signature`` (for ``MinHashLSH`` and saved state)."""
        mh = MinHash(num_perm=self.num_perm, seed=self.seed, hashvalues=signature,
                     permutations=self.permutations, scheme="affine32")
        return LeanMinHash(mh)
