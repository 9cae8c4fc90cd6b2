"""Passages: sentence-aware chunks of an article body that the model reads whole.

Sentences come from blingfire's sentence splitter, paragraph by paragraph. They are packed into
passages of at most `max_tokens` word pieces (counted with the model's own tokenizer, the
article's header included, so the model never truncates), and each passage after the first
repeats up to `overlap_tokens` of the previous one's closing sentences. A sentence longer than
a whole passage is cut at word boundaries. Every passage keeps its character offsets in the body:
`article.body[start:end] == passage text`, always.

The body is tokenized once, with each word piece's character span; sentence and word counts are
read off those spans, and the word pieces a passage is embedded from are a slice of them after
the header's (`passage_ids`), so nothing is tokenized a second time to embed it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import blingfire
import numpy as np

from qa.articles import PARAGRAPH_SEPARATOR, Article


@dataclass(frozen=True)
class Tokens:
    """A text's word pieces (without special tokens): ids and the characters each one spans."""

    ids: np.ndarray  # int64
    starts: np.ndarray  # int64, character offset where each word piece starts
    ends: np.ndarray  # int64, and where it ends

    def __len__(self) -> int:
        return len(self.ids)

    def count(self, start: int, end: int) -> int:
        """Word pieces overlapping the characters [start, end) (an upper bound for that text)."""
        first = int(np.searchsorted(self.ends, start, side="right"))
        last = int(np.searchsorted(self.starts, end, side="left"))
        return max(last - first, 0)

    def slice(self, start: int, end: int) -> np.ndarray | None:
        """The ids of exactly the characters [start, end), or None when a word piece crosses
        either edge (then that text tokenizes differently on its own)."""
        first = int(np.searchsorted(self.ends, start, side="right"))
        last = int(np.searchsorted(self.starts, end, side="left"))
        if first < last and (self.starts[first] < start or self.ends[last - 1] > end):
            return None
        return self.ids[first:last]


# Word pieces of a batch of texts.
Tokenize = Callable[[Sequence[str]], list[Tokens]]

MAX_HEADER_TOKENS = 64


@dataclass(frozen=True)
class ChunkingConfig:
    """How passages are cut; stored in the index manifest, since changing it means rebuilding."""

    max_tokens: int = 254  # word pieces per embedded text, header included (MiniLM reads 256 - 2)
    overlap_tokens: int = 48
    with_header: bool = True  # embed "title / source | date" before the passage text


@dataclass(frozen=True)
class Passage:
    """A span of one article's body: what is retrieved, cited and shown."""

    article_id: str
    number: int  # 0-based position among the article's passages
    start: int
    end: int

    def text(self, article: Article) -> str:
        return article.body[self.start : self.end]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


def article_header(article: Article) -> str:
    """The line(s) embedded before each passage, so that title, outlet and date are searchable."""
    details = " | ".join(part for part in (article.source, (article.date or "")[:10]) if part)
    return f"{article.title}\n{details}\n" if details else f"{article.title}\n"


def embedding_text(article: Article, passage: Passage, config: ChunkingConfig) -> str:
    """What the model reads for a passage (the text returned to users is the body's own)."""
    text = passage.text(article)
    return article_header(article) + text if config.with_header else text


def sentence_spans(body: str) -> list[tuple[int, int]]:
    """Character spans of the body's sentences, paragraph by paragraph."""
    spans: list[tuple[int, int]] = []
    offset = 0
    for paragraph in body.split(PARAGRAPH_SEPARATOR):
        cursor = 0
        if paragraph.strip():
            for sentence in blingfire.text_to_sentences(paragraph).split("\n"):
                sentence = sentence.strip()
                if not sentence:
                    continue
                found = paragraph.find(sentence, cursor)
                if found < 0:  # the splitter changed the text: keep the rest as one sentence
                    spans.append((offset + cursor, offset + len(paragraph.rstrip())))
                    cursor = len(paragraph)
                    break
                spans.append((offset + found, offset + found + len(sentence)))
                cursor = found + len(sentence)
            tail = paragraph[cursor:].strip()
            if tail:  # text the splitter dropped; never lose body text
                found = paragraph.find(tail, cursor)
                spans.append((offset + found, offset + found + len(tail)))
        offset += len(paragraph) + len(PARAGRAPH_SEPARATOR)
    return spans


def chunk_article(
    article: Article, tokenize: Tokenize, config: ChunkingConfig | None = None
) -> list[Passage]:
    """Cut an article into passages that each fit the model whole (tokenizing it once)."""
    header, body = tokenize([article_header(article), article.body])
    return chunk_tokens(article, header, body, tokenize, config)


def chunk_tokens(
    article: Article,
    header: Tokens,
    body: Tokens,
    tokenize: Tokenize,
    config: ChunkingConfig | None = None,
) -> list[Passage]:
    """`chunk_article` from the header's and the body's word pieces (`tokenize` is only called
    again for pieces of a word longer than a whole passage)."""
    config = config or ChunkingConfig()
    budget = config.max_tokens
    if config.with_header:
        budget -= min(len(header), MAX_HEADER_TOKENS) + 1
    budget = max(budget, 16)
    spans = sentence_spans(article.body)
    if not spans:
        return []
    sentences: list[_Span] = []
    for start, end in spans:
        tokens = body.count(start, end)
        if tokens <= budget:
            sentences.append(_Span(start, end, tokens))
        else:
            sentences.extend(_split_long(article.body, start, end, budget, body, tokenize))
    return [
        Passage(article.id, number, group[0].start, group[-1].end)
        for number, group in enumerate(_pack(sentences, budget, config.overlap_tokens))
    ]


def passage_ids(
    header: Tokens, body: Tokens, passage: Passage, config: ChunkingConfig
) -> np.ndarray | None:
    """The word pieces the model reads for a passage (its header's, then its own): the same as
    tokenizing `embedding_text`, or None when the passage cuts a word (then tokenize that)."""
    own = body.slice(passage.start, passage.end)
    if own is None or not config.with_header:
        return own
    return np.concatenate([header.ids, own])


def _pack(sentences: list[_Span], budget: int, overlap: int) -> list[list[_Span]]:
    """Greedy packing with a sentence overlap; every group's token sum stays within budget.

    Joining sentences adds at most one word piece per boundary (none for whitespace), so each
    sentence is charged one extra token to stay on the safe side.
    """
    groups: list[list[_Span]] = []
    current: list[_Span] = []
    used = 0
    index = 0
    while index < len(sentences):
        sentence = sentences[index]
        cost = sentence.tokens + 1
        if current and used + cost > budget:
            groups.append(current)
            carried: list[_Span] = []
            carried_tokens = 0
            for previous in reversed(current[1:]):  # keep at least one new sentence per passage
                if carried_tokens + previous.tokens + 1 > overlap:
                    break
                carried.insert(0, previous)
                carried_tokens += previous.tokens + 1
            if carried_tokens + cost > budget:
                carried, carried_tokens = [], 0
            current, used = carried, carried_tokens
            continue
        current.append(sentence)
        used += cost
        index += 1
    if current:
        groups.append(current)
    return groups


def _split_long(
    body: str, start: int, end: int, budget: int, tokens: Tokens, tokenize: Tokenize
) -> list[_Span]:
    """Cut one over-long sentence into pieces of at most `budget` tokens, at spaces."""
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", body[start:end])]
    pieces: list[_Span] = []
    piece_start, piece_tokens = words[0][0], 0
    previous_end = words[0][0]
    for word_start, word_end in words:
        count = tokens.count(word_start, word_end)
        if piece_tokens and piece_tokens + count > budget:
            pieces.append(_Span(piece_start, previous_end, piece_tokens))
            piece_start, piece_tokens = word_start, 0
        if count > budget:  # a single "word" longer than a passage: cut it by characters
            pieces.extend(_split_characters(body, word_start, word_end, budget, tokenize))
            piece_start, piece_tokens = word_end, 0
            previous_end = word_end
            continue
        piece_tokens += count
        previous_end = word_end
    if piece_tokens:
        pieces.append(_Span(piece_start, previous_end, piece_tokens))
    return [p for p in pieces if p.end > p.start]


def _split_characters(
    body: str, start: int, end: int, budget: int, tokenize: Tokenize
) -> list[_Span]:
    """Pieces of one word, each counted on its own (a piece of a word tokenizes differently
    from the whole word)."""
    step = max(budget, 1)  # a word piece covers at least one character
    starts = list(range(start, end, step))
    counted = tokenize([body[s : min(s + step, end)] for s in starts])
    return [
        _Span(s, min(s + step, end), min(len(tokens), budget)) for s, tokens in zip(starts, counted)
    ]
