"""Reading articles in every format, and the problems reported for bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.articles import read_corpus, read_file, write_article
from qa.errors import Conflict

from .support import MULTIHOP_CORPUS, SAMPLE, SAMPLE_ID, shared_data_or_skip


def test_sample_wire_article():
    scan = read_file(SAMPLE)
    assert scan.problems == []
    (article,) = scan.articles
    assert article.id == SAMPLE_ID
    assert (
        article.title == "Lavrov said that NATO countries do not like the development of the CSTO"
    )
    assert article.date == "2022-06-08"
    assert article.source == "TASS"
    assert article.credits == (
        'GSV "Russia - Islamic World"',
        "Photo: Public Domain/Collective Security Treaty Organization",
        "Based on materials from TASS",
    )
    assert article.body.startswith("The North Atlantic Alliance countries do not like")
    assert article.body.endswith("signed by the CSTO member states.")
    for credit in ("Photo:", "Based on materials", "GSV", "08 June 2022"):
        assert credit not in article.body
    assert len(article.paragraphs) == 12


def test_front_matter_markdown(tmp_path: Path):
    path = tmp_path / "storm.md"
    path.write_text(
        "---\ntitle: Storm hits the coast\ndate: 2023-10-02\nsource: Coast News\n"
        "url: https://example.org/storm\n---\n\nFirst paragraph\nwrapped over lines.\n\n"
        "Second paragraph.\n",
        encoding="utf-8",
    )
    (article,) = read_file(path).articles
    assert (article.id, article.title, article.date, article.source, article.url) == (
        "storm",
        "Storm hits the coast",
        "2023-10-02",
        "Coast News",
        "https://example.org/storm",
    )
    assert article.body == "First paragraph wrapped over lines.\n\nSecond paragraph."


def test_json_list_and_json_lines(tmp_path: Path):
    records = [
        {
            "title": "One",
            "body": "Body one.",
            "published_at": "2023-11-27 08:45:59.000000000Z",
            "source": "Wire",
            "url": "https://example.org/1",
        },
        {"title": "Two", "text": "Body two.", "date": "5 May 2021"},
        {"title": "Three", "content": "Body three."},
    ]
    (tmp_path / "batch.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "batch2.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records), encoding="utf-8"
    )
    for name in ("batch.json", "batch2.jsonl"):
        scan = read_file(tmp_path / name)
        assert scan.problems == []
        one, two, three = scan.articles
        assert one.date == "2023-11-27T08:45:59+00:00"
        assert (one.source, one.url, one.body) == ("Wire", "https://example.org/1", "Body one.")
        assert (two.date, two.body) == ("2021-05-05", "Body two.")
        assert (three.date, three.body) == (None, "Body three.")
        assert len({one.id, two.id, three.id}) == 3
        assert all(a.id.startswith(Path(name).stem + "-") for a in scan.articles)
    # ids are stable: the same records read again get the same ids
    assert [a.id for a in read_file(tmp_path / "batch.json").articles] == [
        a.id for a in read_file(tmp_path / "batch.json").articles
    ]


def test_single_json_object_takes_the_file_name_as_id(tmp_path: Path):
    (tmp_path / "solo.json").write_text(json.dumps({"title": "T", "body": "B."}))
    assert [a.id for a in read_file(tmp_path / "solo.json").articles] == ["solo"]


def test_multihop_corpus_imports_as_it_is():
    path = shared_data_or_skip(MULTIHOP_CORPUS)
    scan = read_file(path)
    assert scan.problems == []
    assert len(scan.articles) == 609
    assert len({a.id for a in scan.articles}) == 609
    assert all(a.date and a.date.startswith("2023-") for a in scan.articles)
    assert all(a.title and a.body and a.source for a in scan.articles)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\n ", "empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin1.txt", "Caf\xe9 news\n\n1 May 2020\n\nBody.".encode("latin-1"), "not UTF-8"),
        ("nodate.txt", b"A title\n\nnot a date at all\n\nBody text.", "not a date"),
        ("short.txt", b"Only a title", "expected a title line"),
        ("notitle.md", b"---\ndate: 2020-01-01\n---\n\nBody.", "no title"),
        ("baddate.md", b"---\ntitle: T\ndate: the day after\n---\n\nBody.", "unreadable date"),
        ("badyaml.md", b"---\ntitle: [unclosed\n---\n\nBody.", "not valid YAML"),
        ("broken.json", b'{"title": ', "not valid JSON"),
        ("scalar.json", b"42", "expected a JSON object"),
        ("notes.pdf", b"%PDF-1.4", "unsupported file type"),
    ],
)
def test_bad_files_are_reported_by_name(tmp_path: Path, name: str, content: bytes, reason: str):
    (tmp_path / name).write_bytes(content)
    scan = read_file(tmp_path / name)
    assert scan.articles == []
    (problem,) = scan.problems
    assert problem.path == name
    assert reason in problem.reason


def test_bad_records_are_reported_with_their_number(tmp_path: Path):
    records = [{"title": "Good", "body": "Fine."}, {"body": "No title."}, "text", {"title": "X"}]
    (tmp_path / "mixed.json").write_text(json.dumps(records))
    scan = read_file(tmp_path / "mixed.json")
    assert [a.title for a in scan.articles] == ["Good"]
    assert [(p.record, p.reason) for p in scan.problems] == [
        (2, "no title"),
        (3, "expected a JSON object, got str"),
        (4, "no body (expected a 'body', 'text' or 'content' field)"),
    ]
    assert str(scan.problems[0]) == "mixed.json (record 2): no title"


def test_read_corpus_skips_bad_files_and_keeps_the_rest(tmp_path: Path):
    (tmp_path / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01")
    (tmp_path / ".hidden.txt").write_text("ignored")
    (tmp_path / "README.md").write_text("about this folder")
    scan = read_corpus(tmp_path)
    assert [a.id for a in scan.articles] == [SAMPLE_ID]
    assert [p.path for p in scan.problems] == ["bad.txt"]


def test_write_article_never_overwrites_silently(tmp_path: Path):
    (article,) = read_file(SAMPLE).articles
    corpus = tmp_path / "corpus"
    target, status = write_article(corpus, article)
    assert (target.name, status) == (f"{SAMPLE_ID}.md", "added")
    reread = read_file(target).articles[0]
    assert reread.content_hash == article.content_hash
    assert write_article(corpus, article)[1] == "unchanged"
    from dataclasses import replace

    changed = replace(article, title="A different title")
    with pytest.raises(Conflict, match="already exists"):
        write_article(corpus, changed)
    assert read_file(target).articles[0].title == article.title
    assert write_article(corpus, changed, replace=True)[1] == "replaced"
