"""Short questions (bench/sets/short.jsonl) and questions nothing answers (off_topic.jsonl),
over MultiHop-RAG's articles, asked as /ask answers them (the server's default k, 5).

Each short question names the article that answers it, the verbatim answer span and the
sentence holding it; each off-topic question only its kind (general, near_miss). Reported:
- `answerable`: share of short questions /ask calls answerable;
- `off_topic_rejected`: share of off-topic ones it does not (also per kind);
- `answer_holds`: the gold answer lies inside the answer sentences /ask returns;
- `short_given`, `short_exact`, `short_contains`: a short answer is given; it is the gold
  answer; one of the two contains the other (case and spacing aside);
- `article@1`, `article@5`: the gold article is the first / among the passages' articles;
- `passage@1`, `passage@5`: the first passage / one of the top 5 holds the gold answer, in the
  gold article.
Each also per question type group ("who:answer_holds").
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.errors import QAError
from qa.evals.runner import Ask, EvalFiles, Loaded, read_corpus, read_json_lines
from qa.settings import Settings

KEYS = (
    "answerable",
    "off_topic_rejected",
    "answer_holds",
    "short_given",
    "short_exact",
    "short_contains",
    "article@1",
    "article@5",
    "passage@1",
    "passage@5",
)
TYPE_GROUPS = {
    "who": "who",
    "what": "what/which",
    "which": "what/which",
    "when": "when",
    "where": "where",
    "how_much": "how much/many",
    "how_many": "how much/many",
    "why": "why",
    "describe": "describe/yes-no",
    "yes_no": "describe/yes-no",
}
DEFAULT_K = Settings().default_k


@dataclass(frozen=True)
class ShortQuestion:
    question: str
    article_id: str
    answer: str
    sentence: str
    kind: str  # who, when, ...


@dataclass(frozen=True)
class OffTopic:
    question: str
    kind: str  # general, near_miss


class ShortQuestions:
    name: str = "short"
    index_name: str = "multihop-rag"  # the same articles, so the same cached index
    needs: tuple[str, ...] = ("corpus", "queries")
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = (*dict.fromkeys(TYPE_GROUPS.values()), "general", "near_miss")

    def load(self, files: EvalFiles) -> Loaded:
        assert files.corpus is not None and files.queries is not None
        corpus, by_url = read_corpus(files.corpus)
        cases: list[ShortQuestion | OffTopic] = []
        for record in read_json_lines(files.queries):
            article_id = by_url.get(record.get("article"))
            if article_id and record.get("answer") and record.get("question"):
                cases.append(
                    ShortQuestion(
                        record["question"],
                        article_id,
                        record["answer"],
                        record.get("sentence", ""),
                        record.get("type", ""),
                    )
                )
        if not cases:
            raise QAError(f"No question in {files.queries} names an article of the corpus.")
        off_topic = files.off_topic or files.queries.with_name("off_topic.jsonl")
        if off_topic.is_file():
            for record in read_json_lines(off_topic):
                if record.get("question"):
                    cases.append(OffTopic(record["question"], record.get("kind", "")))
        elif files.off_topic is not None:
            raise QAError(f"--off-topic: no such file {off_topic}.")
        return Loaded(corpus, cases, files.corpus.read_bytes())

    def score(self, case: ShortQuestion | OffTopic, ask: Ask) -> dict[str, float]:
        answered = ask(case.question, k=DEFAULT_K)
        response = answered.response
        if isinstance(case, OffTopic):
            rejected = float(not response.answerable)
            scores = {"off_topic_rejected": rejected}
            return scores | {f"{case.kind}:rejected": rejected} if case.kind else scores
        scores = short_scores(case, answered)
        group = TYPE_GROUPS.get(case.kind)
        if group:
            scores |= {f"{group}:{key}": value for key, value in list(scores.items())}
        return scores


def short_scores(case: ShortQuestion, answered: object) -> dict[str, float]:
    """The per-question figures of one answered short question."""
    response = answered.response  # type: ignore[attr-defined]
    gold = fold(case.answer)
    answer_text = " ".join(fold(span.text) for span in response.answer)
    shorts = [fold(span.short.text) for span in response.answer if span.short is not None]
    first_short = shorts[0] if shorts else ""
    articles = [p.citation.article_id for p in response.passages]
    holds = [
        p.citation.article_id == case.article_id and gold in fold(p.text) for p in response.passages
    ]
    return {
        "answerable": float(response.answerable),
        "answer_holds": float(bool(gold) and gold in answer_text),
        "short_given": float(bool(first_short)),
        "short_exact": float(bool(first_short) and first_short == gold),
        "short_contains": float(bool(first_short) and (first_short in gold or gold in first_short)),
        "article@1": float(articles[:1] == [case.article_id]),
        "article@5": float(case.article_id in articles[:5]),
        "passage@1": float(any(holds[:1])),
        "passage@5": float(any(holds[:5])),
    }


def fold(text: str) -> str:
    """Text compared case-insensitively, with any run of spaces as one, typographic quotes
    as plain ones."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
    return " ".join(text.translate(table).split()).casefold()


SHORT = ShortQuestions()
BENCHMARK = SHORT
