"""Conversations: threads of questions over a corpus, each turn with its gold article, asked the
ways a follow-up can be asked (issue 11; the set is bench/sets/conversations.jsonl).

The corpus is a JSON list of articles as MultiHop-RAG's `corpus_train.json` (matched by url);
the queries a JSON Lines file, one thread a line:

    {"id": "c001", "turns": [{"question": "...", "kind": "first", "article": URL,
                              "answer": "verbatim gold span", "also": [URL, ...]}, ...]}

`kind` is `first`, `follow_up` or `topic_change`. A turn is right when the article of a top
passage is its `article` or one of `also`: `hits@1` (the first passage), `hits@5` (any of the
first five). Every later turn is asked four ways, each reported for follow-ups and topic changes
apart ("follow_up:history_hits@1"):

- `alone`: the question by itself, as before /ask took a history;
- `pasted`: the earlier questions and gold answers pasted in front of the question;
- `history`: `history` = the earlier questions with their gold answers (the answers a person
  saw), no article ids;
- `page`: the way the chat page asks: `history` = the earlier questions, each with the answer
  sentences this service gave it and the articles it cited (answer sentences' first, then the
  passages'), the thread replayed turn by turn.

First turns report `first:hits@1` and `first:hits@5`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa import pipeline
from qa.chat import history_turn
from qa.errors import QAError
from qa.evals.runner import Ask, EvalFiles, Loaded, read_corpus, read_json_lines

WAYS = ("alone", "pasted", "history", "page")
KEYS = tuple(f"follow_up:{way}_hits@{n}" for n in (1, 5) for way in WAYS)
KINDS = ("first", "follow_up", "topic_change")
PASTED_CHARS = 2000  # the longest question /ask takes by default


@dataclass(frozen=True)
class Turn:
    question: str
    kind: str
    gold: frozenset[str]  # article ids that answer it in context
    answer: str


@dataclass(frozen=True)
class ConversationTurn:
    """One turn to score, with the turns before it in its thread."""

    thread: str
    number: int  # 0-based within the thread
    turns: tuple[Turn, ...]  # the whole thread

    @property
    def turn(self) -> Turn:
        return self.turns[self.number]


class Conversations:
    name: str = "conversations"
    index_name: str = "multihop-rag"  # its corpus file is MultiHop-RAG's: one cached index
    needs: tuple[str, ...] = ("corpus", "queries")
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = KINDS

    def __init__(self) -> None:
        # The page way replays each thread: the answers given to its earlier turns, per Ask.
        self._given: dict[tuple[int, str, int], dict[str, Any]] = {}

    def load(self, files: EvalFiles) -> Loaded:
        assert files.corpus is not None and files.queries is not None
        corpus, by_url = read_corpus(files.corpus)
        cases: list[ConversationTurn] = []
        for number, record in enumerate(read_json_lines(files.queries), start=1):
            name = f"{files.queries}, thread {record.get('id', number)}"
            raw_turns = record.get("turns") if isinstance(record, dict) else None
            if not isinstance(raw_turns, list) or not raw_turns:
                raise QAError(f"{name}: no 'turns' list.")
            turns = tuple(
                _turn(raw, by_url, f"{name}, turn {i + 1}") for i, raw in enumerate(raw_turns)
            )
            thread = str(record.get("id", number))
            cases += [ConversationTurn(thread, i, turns) for i in range(len(turns))]
        if not cases:
            raise QAError(f"No conversations in {files.queries}.")
        self._given.clear()
        return Loaded(corpus, cases, files.corpus.read_bytes())

    def score(self, case: ConversationTurn, ask: Ask) -> dict[str, float]:
        turn = case.turn
        earlier = case.turns[: case.number]
        if not earlier:
            answered = ask(turn.question, k=5)
            self._remember(ask, case, answered)
            return _hits(turn, answered, "first:")
        pasted = " ".join(f"{t.question} {t.answer}" for t in earlier) + " " + turn.question
        history = [{"question": t.question, "answer": t.answer} for t in earlier]
        page = [self._given[(id(ask), case.thread, i)] for i in range(case.number)]
        asked = {
            "alone": ask(turn.question, k=5),
            "pasted": ask(pasted[-PASTED_CHARS:], k=5),
            "history": ask(turn.question, k=5, history=history),
            "page": ask(turn.question, k=5, history=page),
        }
        self._remember(ask, case, asked["page"])
        scores: dict[str, float] = {}
        for way, answered in asked.items():
            scores |= _hits(turn, answered, f"{turn.kind}:{way}_")
        scores[f"{turn.kind}:understood_as_follow_up"] = float(
            asked["page"].response.understood.follow_up
        )
        return scores

    def _remember(self, ask: Ask, case: ConversationTurn, answered: pipeline.Answered) -> None:
        response = answered.response.model_dump(mode="json")
        self._given[(id(ask), case.thread, case.number)] = history_turn(
            case.turn.question, response
        )


def _hits(turn: Turn, answered: pipeline.Answered, prefix: str) -> dict[str, float]:
    articles = [hit.article.id for hit in answered.hits]
    return {
        f"{prefix}hits@1": float(bool(articles) and articles[0] in turn.gold),
        f"{prefix}hits@5": float(any(a in turn.gold for a in articles[:5])),
    }


def _turn(raw: Any, by_url: dict[str, str], name: str) -> Turn:
    if not isinstance(raw, dict) or not str(raw.get("question", "")).strip():
        raise QAError(f"{name}: a turn needs a 'question'.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise QAError(f"{name}: 'kind' must be one of {', '.join(KINDS)}.")
    urls = [raw.get("article"), *(raw.get("also") or [])]
    unknown = [url for url in urls if url not in by_url]
    if unknown:
        raise QAError(f"{name}: the article {unknown[0]!r} is not in the corpus.")
    gold = frozenset(by_url[url] for url in urls)
    return Turn(raw["question"].strip(), kind, gold, str(raw.get("answer") or "").strip())


CONVERSATIONS = Conversations()
BENCHMARK = CONVERSATIONS
