"""Fit and check the answerable decision (`qa/answerable.py`) on a mix of dev questions.

    .venv/bin/python -m bench.answerable [--sets bench/sets] [--save FILE | --load FILE]

Every question is asked as /ask answers it (the server's default k) and the decision's signals
are read from the answer. The mix, by kind:

| kind | answerable | what |
|---|---|---|
| long | yes | MultiHop-RAG dev questions with evidence (long, multi-article) |
| short | yes | bench/sets/short.jsonl: short news questions over the same articles |
| xquad | yes | XQuAD-en questions over its own 240 paragraphs |
| null | no | MultiHop-RAG dev null queries (on topic, not answered by the articles) |
| off_general, off_near_miss | no | bench/sets/off_topic.jsonl against the MultiHop-RAG articles |
| off_written | no | the questions below, written for the first calibration |
| off_xquad | no | off_topic.jsonl and the questions below against the XQuAD paragraphs |

A logistic regression (L2, Newton's method) is fitted with each kind weighing the same, and
answerable and not answerable weighing the same in total. Printed: the rates per kind at a few
thresholds, held out (5-fold cross-validation, folds within each kind) and with the model fitted
on everything; the old rule (best cosine >= 0.40) for comparison; and the coefficients to put
into `qa/answerable.py`. `--save` keeps the signals so `--load` can refit without asking again.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from bench.common import SHARED_DATA
from qa import contract, pipeline
from qa.answerable import SIGNALS, signals
from qa.embedding import SentenceTransformerEmbedder
from qa.evals.multihop import MULTIHOP
from qa.evals.runner import EvalFiles, MemoEmbedder, benchmark_index, read_json_lines
from qa.evals.squad import SQUAD
from qa.index import Index
from qa.search import Searcher
from qa.settings import REPOSITORY, Settings
from qa.threads import limited_threads, request_threads

POSITIVE = ("long", "short", "xquad")
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
PENALTY = 0.01  # L2 on the coefficients (not the intercept)
FOLDS = 5

# Questions that nothing in a news corpus of late 2023 answers: general knowledge, how-to,
# chit-chat, other eras. Written for the first calibration (QA_MIN_SCORE on the best cosine).
WRITTEN = [
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

Row = tuple[str, int, list[float]]  # kind, 1 if answerable, signals


def collect(sets: Path, settings: Settings) -> list[Row]:
    """Ask every question of the mix; its kind, label and signals."""
    embedder = MemoEmbedder(SentenceTransformerEmbedder.from_settings(settings))
    multihop = SHARED_DATA / "multihop-rag"
    loaded = MULTIHOP.load(EvalFiles(multihop / "corpus_train.json", multihop / "queries_dev.json"))
    news = benchmark_index(MULTIHOP.name, loaded.key, loaded.articles, embedder, settings.cache)
    squad = SQUAD.load(EvalFiles(data=SHARED_DATA / "xquad-en" / "xquad.en.json"))
    paragraphs = benchmark_index(SQUAD.name, squad.key, squad.articles, embedder, settings.cache)
    off_topic = read_json_lines(sets / "off_topic.jsonl")
    questions: list[tuple[str, int, Index, str]] = []
    questions += [("long", 1, news, c.question) for c in loaded.cases if c.facts]
    questions += [("null", 0, news, c.question) for c in loaded.cases if not c.facts]
    questions += [("short", 1, news, r["question"]) for r in read_json_lines(sets / "short.jsonl")]
    questions += [(f"off_{r['kind']}", 0, news, r["question"]) for r in off_topic]
    questions += [("off_written", 0, news, q) for q in WRITTEN]
    questions += [("xquad", 1, paragraphs, c.question) for c in squad.cases]
    others = [r["question"] for r in off_topic] + WRITTEN
    questions += [("off_xquad", 0, paragraphs, q) for q in others]
    searcher = Searcher(embedder)
    rows = []
    for number, (kind, label, index, question) in enumerate(questions, start=1):
        request = contract.parse(contract.AskRequest, {"question": question}, settings)
        answered = pipeline.answer(index, searcher, request, settings.min_score)
        found = signals(answered.question, answered.hits, answered.sentences)
        rows.append((kind, label, [round(x, 6) for x in found.vector()]))
        if number % 200 == 0:
            print(f"  {number} of {len(questions)} asked", flush=True)
    return rows


def sample_weights(kinds: list[str], labels: np.ndarray) -> np.ndarray:
    """Each kind weighs the same within its class; both classes weigh the same."""
    weights = np.zeros(len(kinds))
    for label in (0, 1):
        members = sorted({k for k, y in zip(kinds, labels) if y == label})
        for kind in members:
            mask = np.array([k == kind for k in kinds])
            weights[mask] = 1.0 / (mask.sum() * len(members))
    return weights * len(kinds) / weights.sum()


def fit(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted L2 logistic regression by Newton's method; [intercept, coefficients...]."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], PENALTY * len(x))
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (weights * (p - y)) + penalty * beta
        hessian = (design * (weights * p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def predict(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(beta[0] + x @ beta[1:], -30, 30)))


def cross_validated(kinds: list[str], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Held-out probabilities: each fold fitted on the others, folds taken within each kind."""
    rng = np.random.default_rng(13)
    fold = np.zeros(len(kinds), dtype=int)
    for kind in set(kinds):
        members = np.flatnonzero([k == kind for k in kinds])
        fold[rng.permutation(members)] = np.arange(len(members)) % FOLDS
    held_out = np.zeros(len(kinds))
    for number in range(FOLDS):
        train = fold != number
        train_kinds = [k for k, keep in zip(kinds, train) if keep]
        beta = fit(x[train], y[train], sample_weights(train_kinds, y[train]))
        held_out[~train] = predict(beta, x[~train])
    return held_out


def table(title: str, kinds: list[str], y: np.ndarray, decisions: dict[str, np.ndarray]) -> None:
    """Per kind: the share called answerable (answerable kinds) or not (the others)."""
    order = [k for k in dict.fromkeys(sorted(set(kinds), key=lambda k: (k not in POSITIVE, k)))]
    print(f"\n{title}\n")
    print(
        "| rule | " + " | ".join(f"{k} ({sum(1 for x in kinds if x == k)})" for k in order) + " |"
    )
    print("|---|" + "---|" * len(order))
    for name, answerable in decisions.items():
        cells = []
        for kind in order:
            mask = np.array([k == kind for k in kinds])
            rate = answerable[mask].mean() if kind in POSITIVE else 1 - answerable[mask].mean()
            cells.append(f"{rate:.3f}")
        print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=Path, default=REPOSITORY / "bench" / "sets")
    parser.add_argument("--save", type=Path, help="write the signals to this JSON file")
    parser.add_argument("--load", type=Path, help="read the signals from this JSON file")
    args = parser.parse_args()
    settings = Settings.from_env()
    if args.load:
        rows: list[Row] = [tuple(row) for row in json.loads(args.load.read_text())]  # type: ignore[misc]
    else:
        with limited_threads(request_threads(settings.workers, settings.threads)):
            rows = collect(args.sets, settings)  # each question as /ask answers it
        if args.save:
            args.save.write_text(json.dumps(rows))
    kinds = [row[0] for row in rows]
    y = np.array([row[1] for row in rows], dtype=float)
    x = np.array([row[2] for row in rows], dtype=float)
    print("Positive rates are answerable, negative kinds' rates rejected. Signals:", SIGNALS)
    held_out = cross_validated(kinds, x, y)
    beta = fit(x, y, sample_weights(kinds, y))
    fitted = predict(beta, x)
    cosine = x[:, SIGNALS.index("cosine")]
    decisions = {"best cosine >= 0.40 (before)": cosine >= 0.40}
    decisions |= {f"held out, p >= {t}": held_out >= t for t in THRESHOLDS}
    decisions |= {f"fitted on all, p >= {t}": fitted >= t for t in THRESHOLDS}
    table("Rates per kind", kinds, y, decisions)
    print(f"\nINTERCEPT = {beta[0]:.4f}")
    print("COEFFICIENTS = (" + ", ".join(f"{b:.4f}" for b in beta[1:]) + ")")
    print("  " + ", ".join(f"{n}={b:.3f}" for n, b in zip(SIGNALS, beta[1:])))
    current = _current_model(x)
    table(
        "The committed model (qa/answerable.py)",
        kinds,
        y,
        {f"p >= {t}": current >= t for t in THRESHOLDS},
    )


def _current_model(x: np.ndarray) -> np.ndarray:
    """The committed decision's probabilities, 0 where a long question misses the cosine floor."""
    from qa.answerable import COEFFICIENTS, INTERCEPT, LONG_MIN_COSINE, LONG_QUESTION_TERMS

    z = INTERCEPT + x @ np.array(COEFFICIENTS)
    p = np.array([1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, v)))) for v in z])
    terms = np.exp(x[:, SIGNALS.index("length")]) - 1
    floor = (terms >= LONG_QUESTION_TERMS - 0.5) & (x[:, SIGNALS.index("cosine")] < LONG_MIN_COSINE)
    return np.where(floor, 0.0, p)


if __name__ == "__main__":
    main()
