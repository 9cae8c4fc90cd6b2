"""Property tests (hypothesis) for the article parsers and the chunker.

Parsers: arbitrary bytes, text, front matter and JSON never raise anything but come back as
articles or Problems. Chunker: offsets always reproduce the text, the token bound holds, and the
whole body is covered. A cheap deterministic token counter drives the generated cases; a few
examples check the same properties with the model's real tokenizer.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa.articles import Article, make_article, parse_date, safe_id
from qa.chunking import ChunkingConfig, chunk_article, embedding_text
from qa.corpus import read_corpus, write_article
from qa.errors import ArticleError
from qa.formats import ARTICLE_SUFFIXES, read_file

from .support import regex_tokenize

PROPERTY = settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SAFE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


def joined(pieces: list[str], max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings made of the given pieces (letters, but also whole words and separators)."""
    return st.lists(st.sampled_from(pieces), min_size=min_size, max_size=max_size).map("".join)


# Text with what article files really contain: words, punctuation, blank lines, odd spaces,
# non-Latin scripts, and the occasional control character.
WORDS = joined(
    list(string.ascii_letters + string.digits + " .,;:!?'\"-()\n\t")
    + ["\n\n", "\r\n", "\u00a0", "\u2028", "é", "ё", "中", "🙂", "\x00", "\x0b", "---"],
    max_size=600,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["title", "body", "text", "date", "url", "source", "id", "x"])
            | st.text(),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)
ARTICLE_RECORDS = st.fixed_dictionaries(
    {},
    optional={
        "title": st.text(max_size=80) | JSON_VALUES,
        "body": WORDS | JSON_VALUES,
        "date": st.sampled_from(["2023-01-02", "8 June 2022", "soon", "", "99999-1-1"])
        | st.text(max_size=30)
        | JSON_VALUES,
        "url": st.sampled_from(["https://e.org/a", "javascript:x", "http://"]) | st.text(),
        "source": st.text(max_size=20) | JSON_VALUES,
        "id": st.text(max_size=30) | st.integers() | st.sampled_from(["../../etc", "/abs", ".."]),
    },
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


def assert_scan_is_sane(scan, corpus: Path | None = None) -> None:
    for article in scan.articles:
        assert isinstance(article, Article)
        assert article.title.strip() and article.body.strip()
        assert SAFE_ID.match(article.id) and len(article.id) <= 201, article.id
        if corpus is not None:
            target = (corpus / f"{article.id}.md").resolve()
            assert target.parent == corpus.resolve()
    for problem in scan.problems:
        assert problem.reason and str(problem)


@PROPERTY
@given(data=st.binary(max_size=2000), suffix=st.sampled_from(ARTICLE_SUFFIXES + (".bin",)))
def test_any_bytes_in_any_file_give_articles_or_problems(scratch, data, suffix):
    path = scratch / f"article{suffix}"
    path.write_bytes(data)
    assert_scan_is_sane(read_file(path), scratch)


@PROPERTY
@given(text=WORDS, suffix=st.sampled_from((".txt", ".md")))
def test_any_text_gives_an_article_or_a_problem(scratch, text, suffix):
    path = scratch / f"story{suffix}"
    path.write_text(text, encoding="utf-8")
    assert_scan_is_sane(read_file(path), scratch)


@PROPERTY
@given(
    meta=joined(list("abc:- []{}!&*|>'\"#%@`\n\t0123456789") + ["title: ", "date: "], 200),
    body=WORDS,
)
def test_any_front_matter_gives_an_article_or_a_problem(scratch, meta, body):
    path = scratch / "front.md"
    path.write_text(f"---\n{meta}\n---\n\n{body}", encoding="utf-8")
    assert_scan_is_sane(read_file(path), scratch)


@PROPERTY
@given(value=JSON_VALUES | st.lists(ARTICLE_RECORDS, max_size=5) | ARTICLE_RECORDS)
def test_any_json_gives_articles_or_problems(scratch, value):
    path = scratch / "batch.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    assert_scan_is_sane(read_file(path), scratch)
    lines = value if isinstance(value, list) else [value]
    path = scratch / "batch.jsonl"
    path.write_text("\n".join(json.dumps(v) for v in lines), encoding="utf-8")
    assert_scan_is_sane(read_file(path), scratch)


@PROPERTY
@given(value=st.text(max_size=60) | JSON_VALUES)
def test_dates_parse_or_are_refused(value):
    try:
        parsed = parse_date(value)
    except ArticleError:
        return
    assert parsed is None or re.match(r"^\d{4}-\d\d-\d\d", parsed)


@PROPERTY
@given(text=st.text(max_size=300))
def test_ids_can_never_name_a_file_outside_the_corpus(scratch, text):
    article_id = safe_id(text)
    assert SAFE_ID.match(article_id) and len(article_id) <= 100
    assert article_id not in (".", "..")
    assert (scratch / f"{article_id}.md").resolve().parent == scratch.resolve()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("deep.json", b"[" * 100_000, "nested too deeply"),
        ("lone.json", b'{"title": "t", "body": "b \\ud800 c"}', "lone surrogate"),
        ("lone.jsonl", b'{"title": "t \\udfff", "body": "b"}', "lone surrogate"),
        ("lone.md", b'---\ntitle: "t \\ud800"\n---\n\nBody.', "YAML"),
        ("deep.jsonl", b'{"title": "t", "body": ' + b"[" * 100_000 + b"\n", "nested too deeply"),
        ("huge.json", b'{"title": "t", "body": "b", "date": "' + b"9" * 5000 + b'"}', "date"),
        ("yaml.md", b"---\ntitle: !!python/object:os.system x\n---\n\nBody.", "YAML"),
        ("bomb.md", b"---\na: &a [x, x]\nb: &b [*a, *a]\ntitle: *b\n---\n\nBody.", "title"),
    ],
)
def test_hostile_files_are_problems(tmp_path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    scan = read_file(path)
    assert not scan.articles and reason in str(scan.problems[0])


@pytest.mark.parametrize(
    "record_id", ["../../outside", "/etc/passwd", "..", "a/../../b", "x\x00y", "é" * 500, "*?[]"]
)
def test_qa_add_writes_only_inside_the_corpus(tmp_path, record_id):
    """Ids from JSON records and front matter, however hostile, become plain file names."""
    source = tmp_path / "in" / "batch.json"
    source.parent.mkdir()
    records = [{"id": record_id, "title": "T", "body": "Body text."}]
    source.write_text(json.dumps(records), encoding="utf-8")
    front = tmp_path / "in" / "front.md"
    front.write_text(f"---\ntitle: T2\nid: {json.dumps(record_id)}\n---\n\nBody.", encoding="utf-8")
    corpus = tmp_path / "corpus"
    for path in (source, front):
        for article in read_file(path).articles:
            target, _ = write_article(corpus, article)
            assert target.resolve().parent == corpus.resolve()
    written = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p for p in written if corpus not in p.parents and p.parent.name != "in"] == []
    assert len(read_corpus(corpus).articles) == 2


# --- the chunker ------------------------------------------------------------------------------


# A deterministic stand-in for word pieces: words and punctuation marks, at least one per
# character run, so that a piece of n characters never counts more than n tokens.
cheap_tokenize = regex_tokenize


BODIES = joined(
    list("abcdefgh ") + [". ", "! ", "? ", ", ", "\n\n", "Mr. ", "U.S. ", "x" * 40, "中文", "…"],
    max_size=1500,
    min_size=1,
)


def chunk_properties(article: Article, tokenize, config: ChunkingConfig, bound_with_header: bool):
    passages = chunk_article(article, tokenize, config)
    body = article.body
    covered = [False] * len(body)
    previous_start = -1
    for number, passage in enumerate(passages):
        assert passage.number == number and passage.article_id == article.id
        assert 0 <= passage.start < passage.end <= len(body)
        text = passage.text(article)
        assert text == body[passage.start : passage.end] and text.strip() == text
        assert passage.start >= previous_start
        previous_start = passage.start
        measured = embedding_text(article, passage, config) if bound_with_header else text
        assert len(tokenize([measured])[0]) <= config.max_tokens, (measured, config)
        for position in range(passage.start, passage.end):
            covered[position] = True
    missed = [i for i, char in enumerate(body) if not char.isspace() and not covered[i]]
    assert not missed, body[missed[0] : missed[0] + 40]
    return passages


@PROPERTY
@given(
    body=BODIES,
    max_tokens=st.integers(min_value=16, max_value=120),
    overlap=st.integers(min_value=0, max_value=40),
)
def test_passages_reproduce_cover_and_fit(body, max_tokens, overlap):
    try:
        article = make_article(article_id="a", title="T", body=body)
    except ArticleError:
        return  # a blank body is refused before chunking
    config = ChunkingConfig(max_tokens=max_tokens, overlap_tokens=overlap, with_header=False)
    chunk_properties(article, cheap_tokenize, config, bound_with_header=False)


@PROPERTY
@given(body=BODIES, title=st.text(alphabet="abc ", min_size=1, max_size=30).filter(str.strip))
def test_passages_fit_with_their_header(body, title):
    try:
        article = make_article(article_id="a", title=title, body=body, source="S", date="2023-1-2")
    except ArticleError:
        return
    config = ChunkingConfig(max_tokens=60, overlap_tokens=10, with_header=True)
    chunk_properties(article, cheap_tokenize, config, bound_with_header=True)


@pytest.mark.parametrize(
    "body",
    [
        "One short sentence.",
        " ".join(
            f"Sentence number {n} says something about the council budget." for n in range(80)
        ),
        "A" * 5000,  # one "word" longer than a passage
        ("Supercalifragilistic " * 400).strip(),  # one sentence longer than a passage
        "\n\n".join(
            "Новости дня. 中文句子。 Emoji 🙂 and Mr. Smith's U.S. trip." for _ in range(40)
        ),
    ],
)
def test_the_properties_hold_with_the_real_tokenizer(embedder, body):
    article = make_article(article_id="a", title="A title", body=body, source="TASS")
    config = ChunkingConfig(max_tokens=embedder.max_tokens)
    passages = chunk_properties(article, embedder.tokenize, config, bound_with_header=True)
    assert passages
