"""Story groups: articles that are copies of one story (the same wire text printed by several
outlets, under another headline, trimmed, with a paragraph added or a sentence reworded).

Each article's body is sketched with MinHash (datasketch) over hashed word shingles of its first
`sketch_words` words (where a copy and its original agree even when one has a trimmed ending);
locality-sensitive hashing (datasketch's MinHashLSH) proposes pairs whose sketches look alike,
and a pair is kept when its estimated resemblance reaches `threshold` and the two were published
within `window_days` of each other. Groups are the connected pairs. Sketching is linear in the
number of articles and LSH finds candidates without comparing every pair, so this stays fast at
100k articles (bench/README.md).
"""

from __future__ import annotations

import hashlib
import string
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from qa.articles import Article
from qa.filters import article_day_ordinal

STORIES_FILE = "stories.json"
MAX_BUCKET_PAIRS_SPAN = 50
_PUNCTUATION = string.punctuation + "“”‘’«»—–…"


@dataclass(frozen=True)
class StoryConfig:
    """How copies are recognised (tuned on the dev half of bench/syndication.py's set)."""

    shingle_words: int = 4
    sketch_words: int = 400  # the first words of a body; a trimmed ending does not reach them
    num_perm: int = 128
    threshold: float = 0.5  # estimated resemblance (Jaccard) of two sketches: one story
    containment: float = 0.7  # or this share of the shorter one's shingles in the longer one
    min_shingles: int = 40  # (a containment needs at least this many shingles to count)
    candidates: float = 0.15  # the resemblance LSH is tuned to propose pairs from (briefs)
    window_days: int = 7  # copies are published within this many days of each other
    seed: int = 1


@dataclass(frozen=True)
class StoryGroups:
    """Which articles of an index are copies of one story.

    `groups` maps each article that has copies to its group's id, which is the id of the
    group's first article (earliest date, then smallest id); articles without copies are not in
    it. Loaded with an index version, read through `Index.story_of` and `Index.copies`.
    """

    groups: dict[str, str] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=lambda: asdict(StoryConfig()))

    def story_of(self, article_id: str) -> str | None:
        return self.groups.get(article_id)

    def members(self, group_id: str) -> list[str]:
        """A group's article ids, first article first (in the order the file lists them)."""
        return self._members.get(group_id, [])

    @cached_property
    def _members(self) -> dict[str, list[str]]:
        members: dict[str, list[str]] = {}
        for article_id, group in self.groups.items():
            members.setdefault(group, []).append(article_id)
        return members

    def numbers(self, article_ids: Iterable[str]) -> np.ndarray | None:
        """For each of `article_ids`, its group as a number from 0 (-1 when it has no copies);
        None when no article has copies."""
        if not self.groups:
            return None
        numbers = {group: n for n, group in enumerate(dict.fromkeys(self.groups.values()))}
        of_article = {article: numbers[group] for article, group in self.groups.items()}
        return np.array([of_article.get(a, -1) for a in article_ids], dtype=np.int64)

    def to_json(self) -> dict[str, Any]:
        return {"config": self.config, "groups": self.groups}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoryGroups:
        groups = data.get("groups", {})
        if not isinstance(groups, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in groups.items()
        ):
            raise ValueError("the story groups are not a mapping of article ids to group ids")
        return cls(groups=groups, config=data.get("config", {}))


# The last sketch_all call's config and sketches, by digest of the text sketched.
_last: tuple[StoryConfig | None, dict[bytes, tuple[np.ndarray, int] | None]] = (None, {})


def find_story_groups(
    articles: Iterable[Article], config: StoryConfig | None = None
) -> StoryGroups:
    """The story groups among `articles`."""
    config = config or StoryConfig()
    articles = list(articles)
    signatures, sizes, sketched = sketch_all(articles, config)
    pairs = candidate_pairs(signatures, config)
    days = [article_day_ordinal(articles[i].date) for i in sketched]
    parent = list(range(len(sketched)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in confirmed_pairs(signatures, sizes, days, pairs, config):
        parent[root(i)] = root(j)
    members: dict[int, list[Article]] = {}
    for position, index in enumerate(sketched):
        members.setdefault(root(position), []).append(articles[index])
    groups: dict[str, str] = {}
    for group in members.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda a: (a.date or "9999", a.id))
        for article in group:
            groups[article.id] = group[0].id
    return StoryGroups(groups=groups, config=asdict(config))


def confirmed_pairs(
    signatures: np.ndarray,
    sizes: np.ndarray,
    days: list[int],  # ordinals; qa.filters.NO_DAY (negative) for an undated article
    pairs: set[tuple[int, int]],
    config: StoryConfig,
) -> list[tuple[int, int]]:
    """The candidate pairs that are one story: published within `window_days`, and either
    alike (estimated Jaccard index, the share of equal signature values, at least `threshold`)
    or the shorter mostly inside the longer (a brief made of a story's first paragraphs:
    at least `containment` of its shingles, for one of at least `min_shingles`)."""
    if not pairs:
        return []
    first, second = np.array(sorted(pairs), dtype=np.int64).T
    jaccard = np.empty(len(first))
    for start in range(0, len(first), 100_000):  # in slices: 100k pairs x 128 values at once
        part = slice(start, start + 100_000)
        jaccard[part] = (signatures[first[part]] == signatures[second[part]]).mean(axis=1)
    size_1, size_2 = sizes[first], sizes[second]
    shared = jaccard * (size_1 + size_2) / (1 + jaccard)  # |A & B| from J and the set sizes
    shorter = np.minimum(size_1, size_2)
    contained = (shorter >= config.min_shingles) & (shared >= config.containment * shorter)
    day = np.array(days, dtype=np.int64)
    undated = (day[first] < 0) | (day[second] < 0)
    near = undated | (np.abs(day[first] - day[second]) <= config.window_days)
    keep = near & ((jaccard >= config.threshold) | contained)
    return list(zip(first[keep].tolist(), second[keep].tolist()))


def sketch_all(
    articles: list[Article], config: StoryConfig
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """MinHash signatures (one row per sketched article), the number of shingles of each, and
    the positions, in `articles`, of the articles they sketch (a body shorter than one shingle
    cannot be sketched).

    The values are exactly datasketch's `MinHash(num_perm, seed).update_batch(shingles)` in its
    default "affine32" scheme (a test checks it), computed for many articles at once: datasketch
    updates one set at a time, about 0.4 ms an article here, too slow for 100k of them. The
    previous call's sketches are kept (by a digest of the text sketched), so a process that
    builds again and again (`qa watch`, `qa serve` adding articles) sketches only new text."""
    global _last
    cache = _last[1] if _last[0] == config else {}
    words: dict[str, int] = {}  # word -> crc32, computed once per distinct word
    kept: dict[bytes, tuple[np.ndarray, int] | None] = {}
    rows: list[np.ndarray | None] = []
    sizes: list[int] = []
    sketched: list[int] = []
    to_sketch: list[tuple[int, bytes, np.ndarray]] = []  # row, key, shingles
    for position, article in enumerate(articles):
        prefix = article.body[: config.sketch_words * 12]
        key = hashlib.blake2b(prefix.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        if key in cache:
            known = cache[key]
        else:
            shingles = shingle_hashes(prefix, config, words)
            known = None if shingles.size == 0 else (shingles, int(shingles.size))
            if known is not None:
                to_sketch.append((len(rows), key, shingles))
        kept[key] = known
        if known is not None:
            rows.append(known[0] if key in cache else None)
            sizes.append(known[1])
            sketched.append(position)
    for (row, key, _), signature in zip(to_sketch, _minhash([s for _, _, s in to_sketch], config)):
        rows[row] = signature
        kept[key] = (signature, int(kept[key][1]))  # type: ignore[index]
    _last = (config, kept)
    filled = [row for row in rows if row is not None]  # every row, now
    signatures = np.vstack(filled) if filled else np.zeros((0, config.num_perm), np.uint32)
    return signatures.astype(np.uint32), np.array(sizes, dtype=np.int64), sketched


def _minhash(sets: list[np.ndarray], config: StoryConfig) -> np.ndarray:
    """The MinHash signature of each set of shingle hashes, in batches of about a million."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=config.num_perm, seed=config.seed).permutations
    signatures = np.empty((len(sets), config.num_perm), dtype=np.uint32)
    start = 0
    while start < len(sets):
        stop, size = start, 0
        while stop < len(sets) and (size < 1_000_000 or stop == start):
            size += sets[stop].size
            stop += 1
        batch = sets[start:stop]
        offsets = np.cumsum([0] + [s.size for s in batch[:-1]])
        mixed = _fmix32(np.concatenate(batch))
        for column in range(config.num_perm):
            signatures[start:stop, column] = np.minimum.reduceat(
                mixed * a[column] + b[column], offsets
            )
        start = stop
    return signatures


def candidate_pairs(signatures: np.ndarray, config: StoryConfig) -> set[tuple[int, int]]:
    """Pairs of rows whose signatures agree on every value of at least one band (i < j).

    The band layout (b bands of r rows) is the one datasketch's MinHashLSH picks for the
    threshold; the buckets are found by sorting each band's hashes, in numpy, rather than by
    inserting 100k sketches into MinHashLSH's dictionaries one by one (about 10 s)."""
    from datasketch import MinHashLSH

    layout = MinHashLSH(threshold=config.candidates, num_perm=config.num_perm)
    pairs: set[tuple[int, int]] = set()
    if len(signatures) < 2:
        return pairs
    for band in range(layout.b):
        values = signatures[:, band * layout.r : (band + 1) * layout.r].astype(np.uint64)
        keys = np.zeros(len(signatures), dtype=np.uint64)
        for column in range(values.shape[1]):
            keys = (keys * np.uint64(0x100000001B3)) ^ values[:, column]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(ordered)])
        for first, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            rows = sorted(order[first : first + size].tolist())
            span = min(size, MAX_BUCKET_PAIRS_SPAN)  # each with its next ones in a huge bucket
            for i, row in enumerate(rows):
                for other in rows[i + 1 : i + span]:
                    pairs.add((row, other))
    return pairs


def shingle_hashes(body: str, config: StoryConfig, words: dict[str, int]) -> np.ndarray:
    """The distinct 32-bit hashes of the runs of `shingle_words` words among the first
    `sketch_words` words of `body` (lower-cased, punctuation ignored)."""
    words_ahead = body[: config.sketch_words * 12].lower().split()[: config.sketch_words]
    tokens = [word for word in (w.strip(_PUNCTUATION) for w in words_ahead) if word]
    if len(tokens) < config.shingle_words:
        return np.zeros(0, dtype=np.uint32)
    for token in tokens:
        if token not in words:
            words[token] = zlib.crc32(token.encode("utf-8"))
    codes = np.array([words[token] for token in tokens], dtype=np.uint32)
    count = len(tokens) - config.shingle_words + 1
    hashes = codes[:count].copy()
    for offset in range(1, config.shingle_words):
        hashes = hashes * np.uint32(0x01000193) ^ codes[offset : offset + count]
    return np.unique(hashes)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, which datasketch applies before its permutations."""
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    mixed: np.ndarray = values ^ (values >> np.uint32(16))
    return mixed
