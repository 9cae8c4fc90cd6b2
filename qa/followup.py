"""Follow-up questions understood from the thread, with retrieval signals only (no LLM).

"Who is Sergey Lavrov?" then "What did he say about NATO?": the second question leans on the
first. `understand` reads a question against the earlier turns of its conversation (`history`
of /ask) in three steps:

1. **The thread.** The earlier turns since the last one that stood on its own (a topic change
   starts a new thread), at most `recent_turns` of them, the latest weighing most.
2. **Does the question lean on it?** It does when it refers back ("he", "that deal", "the two
   of them"), is elliptic ("And the CSTO?", "what about X?", "Why?"), says little of its own
   (its own words are few and common in the index), or its words are the thread's own (found in
   the thread's questions, answers or articles). It stands alone when it brings rare words of
   its own that the thread does not hold: then it is answered exactly as without the thread.
3. **Searching with the thread.** A follow-up carries the thread's salient words (names first:
   "Sergey Lavrov", "CSTO") into retrieval at a lower weight: their BM25 scores are added at
   `carried_weight` (and those of every word of the latest turn at `thread_weight`), and they
   are appended to the text the dense model embeds; the articles the earlier answers cited
   (or, when the turns name none, the article each earlier answer was found in) join the
   candidates and get `article_weight` twice: on the fused score, so that they reach the
   second stage's best 60, and again among the second stage's bonuses (`qa.rerank`), so the
   question's own words rank the passages inside them.

The result is the `Question` with a `Thread` attached; `qa.search` and `qa.rerank` call the
hooks below, which do nothing for a question without one. Weights were tuned on
bench/sets/conversations.jsonl only (see bench/README.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa.index import Index
from qa.lexical import terms
from qa.question import QUESTION_WORDS, Question

# Words that point back into the conversation. "it", "that" and "there" also occur in
# self-contained questions; a question with rare words of its own that the thread lacks stands
# alone all the same (see `reads_as_follow_up`).
# fmt: off
REFERRING = frozenset((
    "he", "she", "it", "they", "them", "him", "his", "her", "hers", "its", "their", "theirs",
    "this", "that", "these", "those", "there", "then", "such", "both", "again", "else",
    "instead", "same", "former", "latter", "also", "too", "afterwards", "after", "before",
    "next", "later", "either", "neither", "other", "another", "one", "ones", "meantime",
))
ELLIPTIC_OPENINGS = ("and", "so", "but", "or", "what about", "how about", "also", "then")
# Words never carried from the thread: they say nothing about its subject.
PLAIN = frozenset((
    "i", "you", "we", "me", "my", "your", "our", "us", "mr", "mrs", "ms", "dr", "yes", "no",
    "not", "new", "say", "said", "says", "tell", "told", "get", "got", "make", "made", "much",
    "many", "happen", "happened", "thing", "things", "people", "way", "really", "actually",
    "still", "now", "just", "even", "ever", "about", "like", "know", "think", "going",
    "anyway", "someone", "something", "anybody", "anyone", "somebody", "all", "at",
    "didn", "hadn", "hasn", "haven", "isn", "wasn", "weren", "don", "doesn", "won", "wouldn",
    "couldn", "shouldn", "aren", "ain",
    # time words belong to the turn that said them (qa.timewords), not to the thread's subject
    "today", "yesterday", "tonight", "tomorrow", "day", "days", "week", "weeks", "weekend",
    "month", "months", "year", "years", "ago", "latest", "recent", "recently", "newest",
    "lately", "currently",
)) | REFERRING | QUESTION_WORDS
# fmt: on
_WORD = re.compile(r"[^\W_][\w’'.&-]*[\w]|[^\W_]", re.UNICODE)
_CONNECTORS = frozenset(("of", "the", "de", "van", "von", "da", "del", "la", "&", "and"))


@dataclass(frozen=True)
class FollowUpConfig:
    """The knobs of follow-up understanding; the defaults were tuned on the dev threads."""

    recent_turns: int = 4  # earlier turns of the thread that are read at most
    recency: float = 0.6  # weight of a turn relative to the one after it
    answer_weight: float = 0.5  # words of an answer relative to those of its question
    carried_phrases: int = 4  # phrases of the thread carried into the search
    carried_weight: float = 0.8  # BM25 of the carried words, relative to the question's own
    thread_weight: float = 0.4  # BM25 of all the thread's words (the latest turn's), likewise
    term_weight: float = 0.5  # IDF weight of a carried word in the question's weights
    article_weight: float = 0.3  # bonus of a passage of the thread's latest article (twice)
    articles: int = 4  # thread articles preferred at most
    dense: str = "carried"  # what the dense model embeds: "carried" (question + phrases),
    # "question" (the question alone) or "previous" (question + the previous question)
    own_information: float = 1.5  # a question whose new words weigh less leans on the thread
    rare: float = 0.75  # a word whose IDF is this share of the largest is a subject of its own
    rare_name: float = 0.4  # so is a capitalized word (not the first) from this share on
    later_ids: float = 0.25  # preference of a turn's later cited articles, the first's being 1
    stand_alone_fit: float = 0.5  # share of its weight the thread must hold to keep a question
    inferred_share: float = 0.8  # share of an answer's words an article must hold to be its source


DEFAULT_UNDERSTANDING = FollowUpConfig()


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str = ""
    article_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thread:
    """What a follow-up takes from its thread: how `qa.search` searches it, and what
    `understood` shows."""

    carried: tuple[str, ...]  # phrases of the thread, most salient first
    carried_terms: tuple[str, ...]  # their index terms (not the question's own)
    thread_terms: tuple[str, ...] = ()  # every term of the latest turn (question and answer)
    thread_weight: float = 0.0
    articles: dict[str, float] = field(default_factory=dict)  # article id -> preference (0, 1]
    searched: str = ""  # the question as searched (shown in `understood`)
    dense_text: str = ""  # what the dense model embeds
    carried_weight: float = 0.5
    article_weight: float = 0.6
    said: tuple[str, ...] = ()  # the answers the person was shown in the thread (qa.grounding)


def understand(
    question: Question,
    history: Sequence[Turn],
    index: Index,
    config: FollowUpConfig = DEFAULT_UNDERSTANDING,
) -> Question:
    """`question` with a `Thread` when it reads as a follow-up of `history`; else as it is."""
    if not history or index.lexical is None:
        return question
    thread = _thread_turns(history, index, config)
    recency = _turn_weights(len(thread), config)
    phrases = _salient_phrases(thread, recency, index, config)
    articles = _thread_articles(thread, recency, index, config)
    thread_terms = {t for turn in thread for t in terms(f"{turn.question} {turn.answer}")}
    if articles:
        rows = [row for a in articles for row in index.rows_of(a)]
        thread_terms |= index.lexical.terms_held(rows, question.weights)
    if not reads_as_follow_up(question, thread_terms, index, config):
        return question
    own = set(question.weights) | set(question.terms)
    carried = [p for p in phrases if not set(p.terms) <= own][: config.carried_phrases]
    carried_terms = tuple(dict.fromkeys(t for p in carried for t in p.terms if t not in own))
    shown = tuple(p.text for p in carried)
    searched = f"{question.text} [{', '.join(shown)}]" if shown else question.text
    dense_text = {
        "carried": searched,
        "question": question.text,
        "previous": f"{question.text} {thread[-1].question}",
    }[config.dense]
    extra = index.lexical.idf(carried_terms)
    weights = dict(question.weights)
    for term, idf in extra.items():
        weights.setdefault(term, config.term_weight * idf)
    return replace(
        question,
        weights=weights,
        thread=Thread(
            carried=shown,
            carried_terms=carried_terms,
            articles=articles,
            searched=searched,
            dense_text=dense_text,
            carried_weight=config.carried_weight,
            article_weight=config.article_weight,
            thread_terms=tuple(dict.fromkeys(terms(f"{thread[-1].question} {thread[-1].answer}"))),
            thread_weight=config.thread_weight,
            said=tuple(turn.answer for turn in thread if turn.answer),
        ),
    )


def reads_as_follow_up(
    question: Question, thread_terms: set[str], index: Index, config: FollowUpConfig
) -> bool:
    """Whether the question leans on a thread that holds `thread_terms` (see the module doc).

    Word weights are IDF, measured against `scale`, the IDF of a word that one passage holds."""
    words = [w.lower().replace("’", "'").split("'")[0] for w in _WORD.findall(question.text)]
    refers = any(w in REFERRING for w in words)
    opening = " ".join(words[:2])
    elliptic = any(opening == o or opening.startswith(o + " ") for o in ELLIPTIC_OPENINGS)
    own = {t: w for t, w in question.weights.items() if t not in PLAIN}
    total = sum(own.values())
    if total <= 0 or elliptic:
        return True  # nothing of its own to search with ("Why?"), or "And the CSTO?"
    scale = math.log(1 + index.store.count() / 1.5)
    new = {t: w for t, w in own.items() if t not in thread_terms}
    names = set(terms(" ".join(w for w in _WORD.findall(question.text)[1:] if w[:1].isupper())))
    subject = sum(
        w
        for t, w in new.items()
        if w >= config.rare * scale or (t in names and w >= config.rare_name * scale)
    )
    if subject:  # a name or rare word the thread does not hold: a new subject, unless it says
        return refers and subject < scale  # "it" and brings one such word ("Could CRISPR cure it?")
    held = total - sum(new.values())
    little = sum(new.values()) / scale < config.own_information
    return refers or little or held / total >= config.stand_alone_fit


# ---- Hooks for qa.search and qa.rerank ------------------------------------------------------


def dense_text(question: Question) -> str:
    """What the dense model embeds for the question."""
    return question.thread.dense_text if question.thread is not None else question.text


def lexical_scores(index: Index, question: Question) -> np.ndarray:
    """BM25 of every passage: the question's own terms, plus the carried ones at their weight."""
    assert index.lexical is not None
    scores = index.lexical.scores(question.terms)
    thread = question.thread
    if thread is not None and thread.carried_terms:
        scores = scores + thread.carried_weight * index.lexical.scores(thread.carried_terms)
    if thread is not None and thread.thread_weight > 0 and thread.thread_terms:
        scores = scores + thread.thread_weight * index.lexical.scores(thread.thread_terms)
    return scores


def thread_rows(index: Index, question: Question) -> set[int]:
    """Passages of the thread's articles, which join the candidates."""
    if question.thread is None:
        return set()
    return {row for a in question.thread.articles for row in index.rows_of(a)}


def article_bonus(index: Index, question: Question, rows: np.ndarray) -> np.ndarray | float:
    """The second-stage bonus of each of `rows` for belonging to an article of the thread."""
    thread = question.thread
    if thread is None or not thread.articles:
        return 0.0
    preference, ids = thread.articles, index.facts.table.ids
    return np.array(
        [
            thread.article_weight * preference.get(ids[number], 0.0)
            for number in index.article_numbers(rows)
        ],
        dtype=np.float32,
    )


# ---- The thread -----------------------------------------------------------------------------


def _thread_turns(history: Sequence[Turn], index: Index, config: FollowUpConfig) -> list[Turn]:
    """The latest turns since the last one that stood on its own (it included)."""
    recent = list(history[-(config.recent_turns + 2) :])
    start = 0
    for i in range(1, len(recent)):
        earlier = recent[max(start, i - config.recent_turns) : i]
        earlier_terms = {t for turn in earlier for t in terms(f"{turn.question} {turn.answer}")}
        asked = Question.analyse(recent[i].question, index)
        if not reads_as_follow_up(asked, earlier_terms, index, config):
            start = i
    return recent[start:][-config.recent_turns :]


def _turn_weights(count: int, config: FollowUpConfig) -> list[float]:
    return [config.recency ** (count - 1 - i) for i in range(count)]


@dataclass(frozen=True)
class _Phrase:
    text: str
    terms: tuple[str, ...]
    score: float


def _salient_phrases(
    thread: Sequence[Turn], weights: Sequence[float], index: Index, config: FollowUpConfig
) -> list[_Phrase]:
    """Names and other rare words of the thread's questions, and names of its answers (their
    other words are their wording, not the thread's subject), most salient first: rarer, more
    recent, from a question rather than an answer, and names before plain words."""
    found: dict[tuple[str, ...], _Phrase] = {}
    for turn, weight in zip(thread, weights):
        asked = [(phrase, is_name, 1.0) for phrase, is_name in _phrases(turn.question)]
        answered = [(p, True, config.answer_weight) for p, name in _phrases(turn.answer) if name]
        for phrase, is_name, source_weight in asked + answered:
            phrase_terms = tuple(terms(phrase, also_drop=PLAIN))
            if not phrase_terms:
                continue
            idf = index.lexical.idf(phrase_terms) if index.lexical is not None else {}
            rarity = max(idf.values(), default=0.0)
            score = weight * source_weight * rarity * (1.0 if is_name else 0.7)
            known = found.get(phrase_terms)  # said again: more salient, latest wording
            total = score + (known.score if known is not None else 0.0)
            found[phrase_terms] = _Phrase(phrase, phrase_terms, total)
    ranked = sorted(found.values(), key=lambda p: -p.score)
    # A phrase whose words are all in a better one adds nothing ("Altman" after "Sam Altman").
    kept: list[_Phrase] = []
    for candidate in ranked:
        if not any(set(candidate.terms) <= set(better.terms) for better in kept):
            kept.append(candidate)
    return kept


def _phrases(text: str) -> list[tuple[str, bool]]:
    """Runs of capitalized words (names: "Sergey Lavrov", "Bank of America") and runs of other
    content words ("northern lights"), each with whether it is a name."""
    phrases: list[tuple[str, bool]] = []
    # A name never runs across a clause mark: "Organization (CSTO), Russian Foreign Minister"
    # is three phrases, not one.
    for sentence in re.split(r"(?<=[.?!])\s+|[,;:()\[\]\"“”]|\s[-–—]\s", text):
        words = _WORD.findall(sentence)
        run: list[str] = []
        run_is_name = False
        for position, raw in enumerate(words):
            word = re.sub(r"['’]s$", "", raw)
            lowered = word.lower()
            capital = word[:1].isupper() or (word[:1].isdigit() and run_is_name)
            is_name = capital and not (position == 0 and lowered in PLAIN | _STOP_OPENERS)
            content = lowered not in PLAIN and lowered not in _STOP_OPENERS and len(lowered) > 1
            if run and run_is_name and lowered in _CONNECTORS:
                run.append(word)
                continue
            if run and (not content or is_name != run_is_name):
                phrases.append((_trim(run), run_is_name))
                run = []
            if content or is_name:
                if not run:
                    run_is_name = is_name
                run.append(word)
        if run:
            phrases.append((_trim(run), run_is_name))
    return [(p, n) for p, n in phrases if p]


_STOP_OPENERS = frozenset(("the", "a", "an", "and", "but", "or", "so", "in", "on", "at", "to"))


def _trim(run: list[str]) -> str:
    while run and run[-1].lower() in _CONNECTORS:
        run = run[:-1]
    return " ".join(run)


def _thread_articles(
    thread: Sequence[Turn], weights: Sequence[float], index: Index, config: FollowUpConfig
) -> dict[str, float]:
    """Article id -> preference: the articles each turn's answer cited (the first most), or the
    article its answer text was found in; later turns weigh more."""
    preference: dict[str, float] = {}
    for turn, weight in zip(thread, weights):
        known = [a for a in dict.fromkeys(turn.article_ids) if a in index.articles]
        cited = {a: weight * (1.0 if i == 0 else config.later_ids) for i, a in enumerate(known)}
        if not cited and turn.answer:
            source = _answer_source(turn.answer, index, config)
            if source is not None:
                cited = {source: weight}
        for article, value in cited.items():
            preference[article] = max(preference.get(article, 0.0), value)
    best = sorted(preference.items(), key=lambda item: -item[1])[: config.articles]
    return dict(best)


def _answer_source(answer: str, index: Index, config: FollowUpConfig) -> str | None:
    """The article an answer text was taken from: the best BM25 passage for its words, if it
    holds most of them."""
    assert index.lexical is not None
    words = sorted(set(terms(answer)))
    if not words:
        return None
    scores = index.lexical.scores(words)
    best = int(np.argmax(scores))
    if scores[best] <= 0:
        return None
    idf = index.lexical.idf(words)
    total = sum(idf.values())
    article = index.passages[best].article_id
    held = index.lexical.terms_held(index.rows_of(article), words)
    if total <= 0 or sum(idf[w] for w in held) / total < config.inferred_share:
        return None
    return article
