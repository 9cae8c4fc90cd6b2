"""Calibrate `answerable` (QA_MIN_SCORE) on real questions against the MultiHop-RAG corpus.

    .venv/bin/python -m bench.calibrate

Answerable questions: the dev queries with evidence. Not answerable: the dev "null" queries
(on-topic questions whose answer is not in the articles) and the off-topic questions below.
For each question the relevance of /ask's default top 5 (`qa.answers.relevance`: the highest
question-passage cosine similarity) is computed; the table gives, for each threshold, the
precision and recall of "answerable" against the answerable questions, counting the null
queries and the off-topic ones as negatives separately and together.
"""

from __future__ import annotations

import numpy as np

from bench.common import SHARED_DATA
from qa.answers import relevance
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP
from qa.evals.runner import EvalFiles, benchmark_index
from qa.question import Question
from qa.search import Searcher
from qa.settings import Settings

DATA = SHARED_DATA / "multihop-rag"

# Questions that nothing in a news corpus of late 2023 answers: general knowledge, how-to,
# chit-chat, other eras. Written for this calibration; not tuned against.
OFF_TOPIC = [
    "How do I bake sourdough bread at home?",
    "What is the boiling point of water at the top of Mount Everest?",
    "Who painted the ceiling of the Sistine Chapel?",
    "How many legs does a spider have?",
    "What is the capital of Mongolia?",
    "How do I reset my router password?",
    "What is the difference between a crocodile and an alligator?",
    "When did the Roman Empire fall?",
    "How long should I boil an egg for a soft yolk?",
    "What is photosynthesis?",
    "Can you recommend a good book about medieval castles?",
    "How do I change a flat tyre on a bicycle?",
    "What language is spoken in Brazil?",
    "Why is the sky blue?",
    "Who wrote Pride and Prejudice?",
    "What is the chemical formula of table salt?",
    "How far is the Moon from the Earth?",
    "What are the rules of cricket?",
    "How do I knit a scarf for beginners?",
    "What is the tallest tree species in the world?",
    "Explain the Pythagorean theorem.",
    "What do pandas eat in the wild?",
    "Who discovered penicillin?",
    "How many bones are in the adult human body?",
    "What is the best way to learn to play the ukulele?",
    "How do volcanoes form?",
    "What was the population of ancient Athens?",
    "How do I remove a red wine stain from a carpet?",
    "What is the plot of Hamlet?",
    "Which planet has the most moons?",
    "hello, how are you today?",
    "What is the recipe for Hungarian goulash?",
    "How do bees make honey?",
    "What is the speed of sound in water?",
    "Who built the Great Wall of China?",
    "How should I water a cactus?",
    "What does a notary public do?",
    "How do I convert Celsius to Fahrenheit?",
    "What causes the northern lights?",
    "How do I write a haiku?",
]


def main() -> None:
    settings = Settings.from_env()
    embedder = SentenceTransformerEmbedder.from_settings(settings)
    loaded = MULTIHOP.load(EvalFiles(DATA / "corpus_train.json", DATA / "queries_dev.json"))
    answerable = [case.question for case in loaded.cases if case.facts]
    null = [case.question for case in loaded.cases if not case.facts]
    index = benchmark_index(
        MULTIHOP.name, loaded.key, loaded.articles, embedder, settings.cache, progress=True
    )
    searcher = Searcher(embedder)

    def scores(questions: list[str]) -> np.ndarray:
        return np.array(
            [
                relevance(searcher.search(index, Question.analyse(q, index), settings.default_k))
                for q in questions
            ]
        )

    positive = scores(answerable)
    negatives = {"null": scores(null), "off-topic": scores(OFF_TOPIC)}
    negatives["both"] = np.concatenate([negatives["null"], negatives["off-topic"]])
    print(f"{len(positive)} answerable, {len(null)} null, {len(OFF_TOPIC)} off-topic questions")
    for name, values in [("answerable", positive), *negatives.items()]:
        quantiles = np.percentile(values, [5, 25, 50, 75, 95])
        print(
            f"{name:>10}: relevance p5/p25/p50/p75/p95 " + " ".join(f"{v:.3f}" for v in quantiles)
        )
    print(
        "\n| threshold | recall | null rejected | off-topic rejected | precision (all negatives) |"
    )
    print("|---|---|---|---|---|")
    for threshold in np.arange(0.20, 0.56, 0.025):
        kept = int((positive >= threshold).sum())
        wrong = int((negatives["both"] >= threshold).sum())
        cells = [
            f"{kept / len(positive):.3f}",
            f"{(negatives['null'] < threshold).mean():.3f}",
            f"{(negatives['off-topic'] < threshold).mean():.3f}",
            f"{kept / (kept + wrong):.3f}" if kept + wrong else "-",
        ]
        print(f"| {threshold:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
