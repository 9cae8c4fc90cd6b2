"""Story groups: near-copies of one story found at index time, stored with the index version."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from datasketch import MinHash

from qa.articles import Article
from qa.build import build_index
from qa.index import load_index
from qa.stories import STORIES_FILE, StoryConfig, find_story_groups, shingle_hashes, sketch_all

from .support import MULTIHOP_CORPUS, run_bench, shared_data_or_skip

WORDS = [
    "the",
    "council",
    "said",
    "on",
    "monday",
    "that",
    "the",
    "new",
    "bridge",
    "over",
    "the",
    "river",
    "would",
    "open",
    "next",
    "spring",
    "after",
    "delays",
    "caused",
    "by",
    "flooding",
    "and",
    "a",
    "shortage",
    "of",
    "steel",
    "while",
    "residents",
    "have",
    "waited",
    "for",
    "years",
    "officials",
    "added",
    "that",
    "tolls",
    "would",
    "not",
    "be",
    "charged",
    "during",
    "the",
    "first",
    "six",
    "months",
    "of",
    "operation",
    "engineers",
    "inspected",
    "the",
    "foundations",
    "in",
    "march",
    "and",
    "found",
    "no",
    "damage",
    "from",
    "the",
    "winter",
    "storms",
]


def text(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
        )
    return "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))


def article(article_id: str, body: str, date: str | None = "2023-05-01") -> Article:
    return Article(id=article_id, title=article_id, body=body, date=date)


def test_signatures_are_datasketch_minhashes():
    config = StoryConfig()
    articles = [article(f"a{i}", text(i)) for i in range(5)]
    signatures, sizes, sketched = sketch_all(articles, config)
    assert sketched == list(range(5))
    for row, item in enumerate(articles):
        shingles = shingle_hashes(item.body, config, {})
        reference = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=int)
        reference.update_batch(shingles.tolist())
        assert np.array_equal(signatures[row], reference.hashvalues)
        assert sizes[row] == len(shingles)


def test_a_second_sketch_of_the_same_texts_reuses_the_first():
    config = StoryConfig()
    articles = [article(f"a{i}", text(i)) for i in range(6)] + [article("tiny", "Too short.")]
    first = sketch_all(articles, config)
    again = sketch_all([articles[5], *articles[:3], articles[6]], config)  # some kept, reordered
    assert np.array_equal(again[0], first[0][[5, 0, 1, 2]])
    assert again[2] == [0, 1, 2, 3] and list(again[1]) == [first[1][i] for i in (5, 0, 1, 2)]


def test_copies_are_grouped_and_other_stories_are_not():
    original = text(1, 500)
    paragraphs = original.split("\n\n")
    copies = {
        "wire": original,
        "trimmed": "\n\n".join(paragraphs[: len(paragraphs) // 2]),
        "intro": "Our reporter adds some local context here first.\n\n" + original,
        "brief": "\n\n".join(paragraphs[:3]),
        "reworded": original.replace("council", "city council", 2),
    }
    articles = [article(name, body) for name, body in copies.items()]
    articles += [article("other", text(2, 500)), article("another", text(3, 500))]
    articles.append(article("late", original, date="2023-06-30"))  # same text, weeks later
    articles.append(article("tiny", "Too short to sketch."))
    groups = find_story_groups(articles)
    assert set(groups.groups) == set(copies)
    assert groups.story_of("wire") == groups.story_of("brief") == "brief"  # same date: by id
    assert groups.story_of("other") is None and groups.story_of("late") is None
    assert groups.members("brief") == sorted(copies)


def test_groups_are_stored_with_the_index_and_read_back(tmp_path, embedder):
    body = text(4, 300)
    articles = [
        article("wire-copy", body, date="2023-05-02"),
        article("first-report", body.replace("river", "River"), date="2023-05-01"),
        article("unrelated", text(5, 300)),
    ]
    build_index(articles, embedder, tmp_path / "index")
    index = load_index(tmp_path / "index")
    assert index.story_of("wire-copy") == index.story_of("first-report") == "first-report"
    assert [a.id for a in index.copies("wire-copy")] == ["first-report"]
    assert index.copies("unrelated") == [] and index.story_of("unrelated") is None
    assert STORIES_FILE in index.manifest.files  # checksummed like every other file
    saved = json.loads((index.path / STORIES_FILE).read_text())
    assert saved["groups"] == {"first-report": "first-report", "wire-copy": "first-report"}


def test_a_version_without_stories_loads_with_no_groups(tmp_path, embedder):
    build_index([article("one", text(6))], embedder, tmp_path / "index")
    index = load_index(tmp_path / "index")
    folder = index.path
    (folder / STORIES_FILE).unlink()
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["files"][STORIES_FILE]
    del manifest["checksum"]  # as an older build wrote it: no stories file, no checksum
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert load_index(tmp_path / "index").story_of("one") is None


@pytest.mark.slow
def test_syndication_set_precision_and_recall():
    shared_data_or_skip(MULTIHOP_CORPUS)
    # bench.syndication --check: precision and recall of both splits at least 0.95, else exit 1.
    result = run_bench("syndication", "--split", "both", "--check", timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("dev: ") and "\ntest: " in result.stdout
