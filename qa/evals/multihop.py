"""MultiHop-RAG: a corpus JSON list of articles and a queries JSON list whose items carry an
`evidence_list` of `{title, url, fact}` and a `question_type`.

Metrics follow the data set's BASELINES.md: the official "off_" metrics (a gold fact, all
whitespace removed, is a substring of one of the top 10 passages), fact coverage and article
coverage, over the queries with evidence; each also per question type ("temporal:off_mrr@10").
Null queries (no evidence) report only whether the answer was rightly not `answerable`
("null:rejected").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.errors import QAError
from qa.evals import FORMATS
from qa.evals.runner import Ask, EvalFiles, Loaded, read_corpus, read_json

KEYS = (
    "off_hits@4",
    "off_hits@10",
    "off_mrr@10",
    "off_map@10",
    "fact_cov@10",
    "art_cov@10",
    "all_art@10",
)


@dataclass(frozen=True)
class MultihopQuery:
    """One MultiHop-RAG question with its gold evidence, resolved to article ids (none for a
    null query)."""

    question: str
    facts: list[str]  # distinct gold facts, whitespace removed
    articles: set[str]
    kind: str = ""  # "inference", "comparison", "temporal", "null"


class MultihopRag:
    name: str = "multihop-rag"
    needs: tuple[str, ...] = FORMATS["multihop-rag"][1]
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = ("inference", "comparison", "temporal", "null")

    def load(self, files: EvalFiles) -> Loaded:
        assert files.corpus is not None and files.queries is not None
        corpus, by_url = read_corpus(files.corpus)
        by_title = {a.title: a.id for a in corpus}
        records = read_json(files.queries)
        if not isinstance(records, list):
            raise QAError(f"{files.queries} must hold a JSON list of queries.")
        cases = []
        for record in records:
            if not isinstance(record, dict) or not str(record.get("query", "")).strip():
                continue
            kind = str(record.get("question_type", "")).removesuffix("_query")
            evidence = record.get("evidence_list") or []
            facts = [f for f in dict.fromkeys(squeeze(e.get("fact", "")) for e in evidence) if f]
            articles = {
                by_url.get(e.get("url")) or by_title.get(" ".join(str(e.get("title", "")).split()))
                for e in evidence
            }
            found = {a for a in articles if a}
            if not evidence:
                cases.append(MultihopQuery(record["query"], [], set(), "null"))
            elif facts and found:
                cases.append(MultihopQuery(record["query"], facts, found, kind))
        if not any(case.facts for case in cases):
            raise QAError(f"No query in {files.queries} has evidence matching the corpus.")
        return Loaded(corpus, cases, files.corpus.read_bytes())

    def score(self, case: MultihopQuery, ask: Ask) -> dict[str, float]:
        answered = ask(case.question, k=10)
        if not case.facts:
            return {"null:rejected": float(not answered.response.answerable)}
        hits = answered.hits
        scores = multihop_scores(case, [h.text for h in hits], [h.article.id for h in hits])
        if case.kind:
            scores |= {f"{case.kind}:{key}": value for key, value in list(scores.items())}
        return scores


def multihop_scores(
    query: MultihopQuery, texts: Sequence[str], article_ids: Sequence[str]
) -> dict[str, float]:
    """The per-question metrics of BASELINES.md for one ranked list of passages."""
    squeezed = [squeeze(t) for t in texts[:10]]
    first_hit = next(
        (r for r, t in enumerate(squeezed, 1) if any(f in t for f in query.facts)), None
    )
    found: set[str] = set()
    average_precision = 0.0
    for rank, text in enumerate(squeezed, start=1):
        new = {f for f in query.facts if f not in found and f in text}
        average_precision += len(new) / rank
        found |= new
    top4 = squeezed[:4]
    return {
        "off_hits@4": float(any(f in t for f in query.facts for t in top4)),
        "off_hits@10": float(first_hit is not None),
        "off_mrr@10": 1.0 / first_hit if first_hit else 0.0,
        "off_map@10": average_precision / min(len(query.facts), 10),
        "fact_cov@10": len(found) / len(query.facts),
        "art_cov@10": len(query.articles & set(article_ids[:10])) / len(query.articles),
        "all_art@10": float(query.articles <= set(article_ids[:10])),
    }


def squeeze(text: str) -> str:
    """Text without any whitespace: the official MultiHop-RAG matching rule."""
    return "".join(text.split())


MULTIHOP = MultihopRag()
BENCHMARK = MULTIHOP
