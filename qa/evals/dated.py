"""Dated questions: news questions with relative time words ("this week", "latest on"), each
asked on a given day, over a corpus of dated articles (bench/sets/dated.jsonl over
MultiHop-RAG's corpus_train.json; its README gives the format and conventions).

Each question is asked three ways: with its `as_of` (the day it was asked), without it (today
as "now": no knowledge of when it was asked), and with `as_of` plus a hard `since`/`until`
window of the two weeks before it. Reported: recall@1 and recall@5 of the gold article (or
an `also` article) for each way, overall and per phrase kind ("this_week:recall@1").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qa.errors import QAError
from qa.evals import FORMATS
from qa.evals.runner import Ask, EvalFiles, Loaded, read_corpus, read_json_lines

TWO_WEEKS = dt.timedelta(days=14)
WAYS = {"": "with as_of", "_today": "without as_of", "_2weeks": "since/until two weeks"}
KEYS = tuple(f"recall@{n}{way}" for way in WAYS for n in (1, 5))


@dataclass(frozen=True)
class DatedQuestion:
    question: str
    as_of: dt.date
    kind: str
    gold: frozenset[str]  # article ids that count as the right article


class Dated:
    name: str = "dated"
    index_name: str = "multihop-rag"  # the same corpus file: share its cached index
    needs: tuple[str, ...] = FORMATS["dated"][1]
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = ()  # the kinds of time phrase of the questions loaded, by name

    def load(self, files: EvalFiles) -> Loaded:
        assert files.corpus is not None and files.queries is not None
        corpus, by_url = read_corpus(files.corpus)
        cases = []
        for number, record in enumerate(read_json_lines(files.queries), start=1):
            try:
                urls = [record["article"], *record.get("also", [])]
                case = DatedQuestion(
                    question=str(record["question"]),
                    as_of=dt.date.fromisoformat(record["as_of"]),
                    kind=str(record.get("kind") or "none"),
                    gold=frozenset(by_url[url] for url in urls if url in by_url),
                )
            except (KeyError, TypeError, ValueError) as error:
                raise QAError(f"{files.queries}, line {number}: {error!r}.") from None
            if case.gold:
                cases.append(case)
        if not cases:
            raise QAError(f"No question in {files.queries} has its article in {files.corpus}.")
        self.groups = tuple(sorted({case.kind for case in cases}))
        return Loaded(corpus, cases, files.corpus.read_bytes())

    def score(self, case: DatedQuestion, ask: Ask) -> dict[str, float]:
        as_of = case.as_of.isoformat()
        since = (case.as_of - TWO_WEEKS).isoformat()
        asked = {
            "": ask(case.question, k=5, as_of=as_of),
            "_today": ask(case.question, k=5),
            "_2weeks": ask(case.question, k=5, as_of=as_of, since=since, until=as_of),
        }
        scores = {}
        for way, answered in asked.items():
            found = [hit.article.id in case.gold for hit in answered.hits[:5]]
            scores[f"recall@1{way}"] = float(any(found[:1]))
            scores[f"recall@5{way}"] = float(any(found))
        return scores | {f"{case.kind}:{key}": value for key, value in scores.items()}


DATED = Dated()
BENCHMARK = DATED
