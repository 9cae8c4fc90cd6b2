"""SQuAD v1.1 (XQuAD-en is one): each paragraph's context becomes an article titled by its
Wikipedia page, each question is asked, and a hit is a top passage of the gold context that
holds a gold answer text; `answer_accuracy` is a gold answer inside the answer sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa.articles import Article, make_article, safe_id
from qa.errors import QAError
from qa.evals import FORMATS
from qa.evals.runner import Ask, EvalFiles, Loaded, read_json
from qa.search import Hit

KEYS = ("recall@1", "recall@5", "recall@20", "mrr@20", "answer_accuracy", "answerable")


@dataclass(frozen=True)
class SquadQuestion:
    question: str
    article_id: str
    answers: list[str]


class Squad:
    name: str = "squad"
    needs: tuple[str, ...] = FORMATS["squad"][1]
    keys: tuple[str, ...] = KEYS
    groups: tuple[str, ...] = ()

    def load(self, files: EvalFiles) -> Loaded:
        assert files.data is not None
        path = files.data
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            raise QAError(f"{path} is not SQuAD v1.1 JSON (no 'data' list).")
        articles: list[Article] = []
        questions: list[SquadQuestion] = []
        for number, entry in enumerate(data["data"]):
            title = str(entry.get("title") or f"Article {number + 1}").replace("_", " ")
            for position, paragraph in enumerate(entry.get("paragraphs", [])):
                article_id = f"{safe_id(title)[:60]}-{number}-{position}"
                try:
                    article = make_article(
                        article_id=article_id, title=title, body=paragraph["context"]
                    )
                except (KeyError, ValueError) as error:
                    raise QAError(f"{path}: paragraph {position} of {title!r}: {error}") from None
                articles.append(article)
                for qa in paragraph.get("qas", []):
                    answers = [
                        a["text"] for a in qa.get("answers", []) if a.get("text", "").strip()
                    ]
                    if answers and str(qa.get("question", "")).strip():
                        questions.append(SquadQuestion(qa["question"].strip(), article_id, answers))
        if not questions:
            raise QAError(f"{path} holds no answerable questions.")
        return Loaded(articles, questions, path.read_bytes())

    def score(self, case: SquadQuestion, ask: Ask) -> dict[str, float]:
        answered = ask(case.question, k=20)
        # The answer sentences found, whether or not /ask would show them (`answerable`).
        answer = [sentence.text for sentence in answered.sentences]
        scores = squad_scores(case.article_id, case.answers, answered.hits, answer)
        return scores | {"answerable": float(answered.response.answerable)}


def squad_scores(
    gold_article: str, answers: Sequence[str], hits: Sequence[Hit], answer_texts: Sequence[str]
) -> dict[str, float]:
    """Per-question SQuAD metrics: where the first passage of the gold context holding a gold
    answer ranks, and whether a gold answer lies inside the extracted answer sentences."""
    needles = [normal(a) for a in answers if a.strip()]
    rank = next(
        (
            r
            for r, hit in enumerate(hits[:20], start=1)
            if hit.article.id == gold_article and any(n in normal(hit.text) for n in needles)
        ),
        None,
    )
    answer = " ".join(normal(t) for t in answer_texts)
    return {
        "recall@1": float(rank is not None and rank <= 1),
        "recall@5": float(rank is not None and rank <= 5),
        "recall@20": float(rank is not None),
        "mrr@20": 1.0 / rank if rank else 0.0,
        "answer_accuracy": float(any(n in answer for n in needles)),
    }


def normal(text: str) -> str:
    return " ".join(text.split())


SQUAD = Squad()
BENCHMARK = SQUAD
