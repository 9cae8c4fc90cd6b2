"""Passages: exact offsets, the model's token limit, overlap, and over-long sentences."""

from __future__ import annotations

import pytest

from qa.articles import make_article, read_file
from qa.chunking import ChunkingConfig, chunk_article, embedding_text, sentence_spans

from .support import MULTIHOP_CORPUS, SAMPLE, shared_data_or_skip


def check_passages(article, embedder, config=None):
    config = config or ChunkingConfig(max_tokens=embedder.max_tokens)
    passages = chunk_article(article, embedder.count_tokens, config)
    assert passages, article.id
    for number, passage in enumerate(passages):
        text = article.body[passage.start : passage.end]
        assert text == passage.text(article)
        assert text == text.strip() and text
        assert passage.number == number
    tokens = embedder.count_tokens([embedding_text(article, p, config) for p in passages])
    assert max(tokens) <= config.max_tokens, (article.id, max(tokens))
    # every sentence of the body lies inside some passage: nothing is lost
    for start, end in sentence_spans(article.body):
        assert any(p.start <= start and end <= p.end for p in passages) or any(
            p.start < end and start < p.end for p in passages
        )
    return passages


def test_sample_passages_reproduce_the_body(embedder):
    (article,) = read_file(SAMPLE).articles
    passages = check_passages(article, embedder)
    assert passages[0].start == 0
    assert passages[-1].end == len(article.body)


def test_multihop_articles_passages(embedder):
    articles = read_file(shared_data_or_skip(MULTIHOP_CORPUS)).articles
    for article in articles[:: len(articles) // 12]:
        check_passages(article, embedder)


def test_consecutive_passages_overlap_by_whole_sentences(embedder):
    (article,) = read_file(SAMPLE).articles
    config = ChunkingConfig(max_tokens=96, overlap_tokens=40)
    passages = check_passages(article, embedder, config)
    starts = {s for s, _ in sentence_spans(article.body)}
    overlapping = 0
    for before, after in zip(passages, passages[1:]):
        assert after.start in starts
        assert after.start > before.start and after.end > before.end
        overlapping += after.start < before.end
    assert overlapping >= len(passages) // 2


def test_an_overlong_sentence_is_cut_at_spaces(embedder):
    words = " ".join(f"word{i}" for i in range(900))
    article = make_article(article_id="long", title="Long", body=words + ". Short one.")
    passages = check_passages(article, embedder, ChunkingConfig(max_tokens=128))
    assert len(passages) > 5
    for passage in passages:
        text = passage.text(article)
        assert not text.startswith(" ") and not text.endswith(" ")


@pytest.mark.parametrize("text", ["x" * 5000, "🙂" * 800, "a\u0301" * 600])
def test_unbreakable_text_still_fits(embedder, text):
    article = make_article(article_id="odd", title="Odd", body=text)
    check_passages(article, embedder, ChunkingConfig(max_tokens=64))
