"""Story grouping measured on a syndication set made from MultiHop-RAG.

    python -m bench.syndication                 # precision and recall, dev and test halves
    python -m bench.syndication --scale 100000  # and the time to group 100,000 articles
    python -m bench.syndication --write DIR     # write the set (articles.jsonl, groups.json)
    python -m bench.syndication --answers       # and answers' top 5 over it (syndicated_answers)
    python -m bench.syndication --check         # exit 1 when precision or recall is below 0.95

The set: MultiHop-RAG's articles split in two halves by url (dev, to tune qa.stories on; test,
reported once). In each half some articles are syndicated: each gets 1 to 4 copies, edited the
way outlets edit wire copy (another headline; a trimmed ending; an added paragraph, such as an
editor's introduction or a "read more" line; a dateline; a sentence lightly reworded; a date 0
to 3 days later; another outlet and url). Beside them stay the corpus's own articles, several of
which cover one story from different outlets (not copies), and follow-ups that reuse a story's
first paragraph and go on with other text (not copies either). Precision and recall are over
"same story" pairs: pairs of articles that share a group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import os
import random
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

from qa.articles import Article
from qa.formats import read_file
from qa.settings import REPOSITORY
from qa.stories import StoryConfig, find_story_groups

SHARED = Path(os.environ.get("QA_SHARED_DATA", REPOSITORY.parent / "shared" / "data"))
CORPUS = SHARED / "multihop-rag" / "corpus_train.json"

FLOOR = 0.95  # what `--check` requires of precision and recall on each split (the tests run it)

OUTLETS = (
    "The Daily Ledger", "Metro Courier", "Valley Herald", "Coastal Times", "The Evening Post",
    "Northern Star", "City Wire", "The Chronicle Online", "Morning Bulletin", "Harbor Gazette",
)  # fmt: skip
DATELINES = ("NEW YORK", "WASHINGTON", "LONDON", "SAN FRANCISCO", "CHICAGO", "LOS ANGELES")
INTROS = (
    "This story was originally published by a partner news organization and is republished here "
    "with permission.",
    "Editor's note: this article has been updated with the latest information available at the "
    "time of publication.",
    "Here is what we know so far, according to reports from our news partners.",
)
OUTROS = (
    "Read more: the latest news and analysis from our newsroom, delivered every morning.",
    "Stay with us for updates on this developing story throughout the day.",
    "Copyright the original publisher. All rights reserved. This material may not be "
    "republished without permission.",
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SYNONYMS = {
    "said": "stated", "says": "states", "announced": "unveiled", "big": "large",
    "large": "big", "company": "firm", "also": "additionally", "however": "but",
    "about": "around", "people": "individuals", "new": "fresh", "show": "demonstrate",
    "help": "assist", "start": "begin", "major": "significant", "expected": "anticipated",
}  # fmt: skip


@dataclass(frozen=True)
class SyndicationSet:
    articles: list[Article]
    groups: dict[str, str]  # article id -> story id, for every article
    kinds: dict[str, str]  # copy id -> the edits made to it, for recall by kind


def load_corpus() -> list[Article]:
    return read_file(CORPUS).articles


def half(article: Article) -> str:
    digest = hashlib.sha1((article.url or article.id).encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def build_set(split: str, seed: int = 1, share: float = 0.35) -> SyndicationSet:
    """The syndication set of one half of MultiHop-RAG."""
    rng = random.Random(f"{split}-{seed}")
    pool = [a for a in load_corpus() if half(a) == split]
    others = [a for a in load_corpus() if half(a) != split]  # text for added paragraphs
    articles = list(pool)
    groups = {a.id: a.id for a in pool}
    kinds: dict[str, str] = {}
    for base in rng.sample(pool, round(len(pool) * share)):
        for number in range(rng.randint(1, 4)):
            copy, kind = edit_copy(base, number, rng, others)
            articles.append(copy)
            groups[copy.id] = base.id
            kinds[copy.id] = kind
    for base in rng.sample(pool, round(len(pool) * 0.15)):  # follow-ups: not copies
        follow = follow_up(base, rng, others)
        articles.append(follow)
        groups[follow.id] = follow.id
    rng.shuffle(articles)
    return SyndicationSet(articles, groups, kinds)


def edit_copy(
    base: Article, number: int, rng: random.Random, others: list[Article]
) -> tuple[Article, str]:
    """One outlet's copy of `base`, and a label of the edits made."""
    paragraphs = base.paragraphs
    edits = []
    cut = rng.random()
    if cut < 0.15:  # a brief: the first few paragraphs only
        paragraphs = paragraphs[: rng.randint(3, 5)]
        edits.append("brief")
    elif cut < 0.85:  # a trimmed ending: 25% to 90% of the paragraphs kept
        keep = max(3, round(len(paragraphs) * rng.uniform(0.25, 0.9)))
        paragraphs = paragraphs[:keep]
        edits.append("trimmed")
    if rng.random() < 0.6:  # a sentence or two lightly reworded
        paragraphs = reword(paragraphs, rng)
        edits.append("reworded")
    if rng.random() < 0.4:  # an added paragraph at the top: a note, or a local angle
        paragraphs = [rng.choice([*INTROS, added_paragraph(rng, others)]), *paragraphs]
        edits.append("intro")
    if rng.random() < 0.4:  # or at the end: a line, or a paragraph about something else
        paragraphs = [*paragraphs, rng.choice([*OUTROS, added_paragraph(rng, others)])]
        edits.append("outro")
    if rng.random() < 0.3:
        dateline = f"{rng.choice(DATELINES)} ({rng.choice(OUTLETS).split()[-1].upper()}) — "
        paragraphs = [dateline + paragraphs[0], *paragraphs[1:]]
        edits.append("dateline")
    outlet = OUTLETS[(number + rng.randrange(len(OUTLETS))) % len(OUTLETS)]
    date = shifted(base.date, rng.randint(0, 3), rng)
    slug = hashlib.sha1(f"{base.id}-{number}-{outlet}".encode()).hexdigest()[:10]
    copy = replace(
        base,
        id=f"copy-{slug}",
        title=headline(base.title, rng),
        body="\n\n".join(paragraphs),
        date=date,
        source=outlet,
        url=f"https://{outlet.lower().replace(' ', '')}.example/news/{slug}",
    )
    return copy, "+".join(edits) or "verbatim"


def follow_up(base: Article, rng: random.Random, others: list[Article]) -> Article:
    """A later story that recaps `base` in a few of its words, then tells something else (one
    paragraph from each of several articles of the other half, so it copies none in this set)."""
    recap = " ".join(" ".join(base.paragraphs[:2]).split()[:50])  # its lead, in a sentence
    body = [recap, *(rng.choice(rng.choice(others).paragraphs) for _ in range(rng.randint(5, 12)))]
    slug = hashlib.sha1(f"follow-{base.id}".encode()).hexdigest()[:10]
    return replace(
        base,
        id=f"follow-{slug}",
        title=f"What happened next: {base.title}",
        body="\n\n".join(body),
        date=shifted(base.date, rng.randint(1, 5), rng),
        url=f"https://followups.example/{slug}",
    )


def added_paragraph(rng: random.Random, others: list[Article]) -> str:
    """A paragraph an outlet adds (local context, background): two sentences of another story."""
    paragraph = rng.choice(rng.choice(others).paragraphs)
    return " ".join(SENTENCE_END.split(paragraph)[:2])[:500]


def reword(paragraphs: list[str], rng: random.Random) -> list[str]:
    """One or two sentences among the first paragraphs lightly reworded: synonyms swapped in,
    or, when it has none, a clause moved."""
    paragraphs = list(paragraphs)
    for _ in range(rng.randint(1, 2)):
        at = rng.randrange(min(len(paragraphs), 6))
        sentences = SENTENCE_END.split(paragraphs[at])
        which = rng.randrange(len(sentences))
        words = sentences[which].split()
        swapped = [SYNONYMS.get(w.lower(), w) for w in words]
        if swapped == words and len(words) > 8:
            cut = rng.randrange(3, len(words) - 3)
            swapped = words[cut:] + words[:cut]
        sentences[which] = " ".join(swapped)
        paragraphs[at] = " ".join(sentences)
    return paragraphs


def headline(title: str, rng: random.Random) -> str:
    words = re.split(r"\s+", title)
    choice = rng.randrange(3)
    if choice == 0:
        return " ".join(words[: max(4, len(words) * 2 // 3)])
    if choice == 1:
        return f"{title.split(':')[0]}: what to know"
    return title.upper()


def shifted(date: str | None, days: int, rng: random.Random) -> str | None:
    if not date:
        return None
    moment = dt.datetime.fromisoformat(date) if "T" in date else dt.datetime.fromisoformat(date)
    moment += dt.timedelta(days=days, minutes=rng.randint(0, 600))
    return moment.isoformat()


def pairs_of(groups: dict[str, str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = {}
    for article, group in groups.items():
        members.setdefault(group, []).append(article)
    return {
        (a, b) if a < b else (b, a)
        for ids in members.values()
        for a, b in itertools.combinations(ids, 2)
    }


def measure(data: SyndicationSet, config: StoryConfig | None = None) -> dict[str, float]:
    started = time.perf_counter()
    found = find_story_groups(data.articles, config)
    seconds = time.perf_counter() - started
    predicted = pairs_of(found.groups)
    gold = pairs_of(data.groups)
    right = predicted & gold
    by_kind: dict[str, list[int]] = {}
    for copy, kind in data.kinds.items():
        for edit in kind.split("+"):
            hit = found.story_of(copy) is not None and found.story_of(copy) == found.story_of(
                data.groups[copy]
            )
            by_kind.setdefault(edit, []).append(int(hit))
    return {
        "articles": len(data.articles),
        "gold_pairs": len(gold),
        "predicted_pairs": len(predicted),
        "precision": len(right) / len(predicted) if predicted else 1.0,
        "recall": len(right) / len(gold) if gold else 1.0,
        "seconds": seconds,
        **{f"recall_{k}": sum(v) / len(v) for k, v in sorted(by_kind.items())},
    }


def scaled(n: int, seed: int = 7) -> list[Article]:
    """`n` articles for timing, none a copy of another: each made of 15 to 60 sentences drawn
    at random from all of MultiHop-RAG's (so some share a sentence or two, as news does), with
    dates spread over a year."""
    rng = random.Random(seed)
    sentences = [s for a in load_corpus() for s in SENTENCE_END.split(a.body) if len(s) > 30]
    start = dt.date(2023, 1, 1).toordinal()
    return [
        Article(
            id=f"r{i}",
            title=f"Article {i}",
            body=" ".join(rng.choice(sentences) for _ in range(rng.randint(15, 60))),
            date=dt.date.fromordinal(start + rng.randrange(365)).isoformat(),
        )
        for i in range(n)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "both", "none"), default="both")
    parser.add_argument("--scale", type=int, default=0, help="also time this many articles")
    parser.add_argument("--write", type=Path, help="write the set's files to this folder")
    parser.add_argument(
        "--answers", action="store_true", help="and count copies in answers (slow: asks 512)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"exit with status 1 when precision or recall of a split is below {FLOOR}",
    )
    args = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"MultiHop-RAG not found at {CORPUS} (set QA_SHARED_DATA)")
    splits = {"both": ("dev", "test"), "none": ()}.get(args.split, (args.split,))
    below = []
    for split in splits:
        data = build_set(split)
        result = measure(data)
        below += [f"{split} {k}" for k in ("precision", "recall") if result[k] < FLOOR]
        print(f"{split}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in result.items()))  # fmt: skip
        if args.write:
            folder = args.write / split
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / "articles.jsonl").open("w", encoding="utf-8") as out:
                for article in data.articles:
                    out.write(json.dumps(article.to_record(), ensure_ascii=False) + "\n")
            (folder / "groups.json").write_text(json.dumps(data.groups, indent=1))
    if args.scale:
        articles = scaled(args.scale)
        started, cpu = time.perf_counter(), time.process_time()
        found = find_story_groups(articles)
        print(
            f"{args.scale} articles grouped in {time.perf_counter() - started:.1f} s "
            f"({time.process_time() - cpu:.1f} s of CPU; {len(found.groups)} in groups; "
            f"load average {os.getloadavg()[0]:.1f})"
        )

    if args.answers:
        from bench import syndicated_answers

        syndicated_answers.main([])
    if args.check and below:
        print(f"below {FLOOR}: {', '.join(below)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
