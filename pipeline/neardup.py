"""Near-duplicate removal with MinHash LSH (datasketch).

A sample's fingerprint is the set of token 5-grams of its problem and solution (lowercased words
and punctuation). Two samples whose estimated Jaccard similarity reaches `threshold` are
near-duplicates; the first one seen is kept, so callers order their inputs by priority (real data
before synthetic, earlier runs before later ones). The corpus already drops exact repeats
(pipeline/corpus.py); this catches the same problem renamed, reworded a little or reformatted.
"""

from __future__ import annotations

import re

from datasketch import MinHash, MinHashLSH

TOKEN = re.compile(r"\w+|[^\w\s]")


def shingles(text: str, n: int = 5) -> set[bytes]:
    tokens = TOKEN.findall(text.lower())
    if len(tokens) < n:
        return {" ".join(tokens).encode()}
    return {" ".join(tokens[i : i + n]).encode() for i in range(len(tokens) - n + 1)}


class NearDuplicates:
    """`seen(key, text)` is the key of an earlier near-duplicate, or None (and remembers it).
    Keys must be unique."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, seed: int = 1) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.hashes: dict[str, MinHash] = {}

    def minhash(self, text: str) -> MinHash:
        mh = MinHash(num_perm=self.num_perm, seed=self.seed)
        mh.update_batch(list(shingles(text)))
        return mh

    def seen(self, key: str, text: str) -> str | None:
        mh = self.minhash(text)
        # LSH finds candidates; the estimate confirms them (LSH alone lets some pairs below through).
        for other in self.lsh.query(mh):
            if self.hashes[other].jaccard(mh) >= self.threshold:
                return other
        self.lsh.insert(key, mh)
        self.hashes[key] = mh
        return None
