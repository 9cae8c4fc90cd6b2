"""The `qa` command: index, serve, ask, chat, add, watch, eval.

Mistakes end with one line on stderr (`qa: error: ...`) and a non-zero exit status, never a
traceback. Settings come from `QA_...` variables, overridden by the options given here.
The parser and `main` are here with the bodies of index, serve, chat and eval; `qa ask` is in
`qa.ask`, `qa add` and `qa watch` in `qa.intake`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qa.ask import asker, run_ask
from qa.errors import QAError
from qa.evals import FORMATS
from qa.intake import run_add, run_watch
from qa.settings import Settings

log = logging.getLogger("qa")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logging.getLogger("qa").setLevel(logging.INFO)
    try:
        settings = Settings.from_env(**_overrides(args))
        result: int = args.run(args, settings)
        sys.stdout.flush()
        return result
    except QAError as error:
        print(f"qa: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as error:  # a full disk, a folder without permission: one line, no traceback
        where = f" ({error.filename})" if error.filename else ""
        print(f"qa: error: {error.strerror or error}{where}.", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qa", description="Ask questions of a folder of news articles; get cited passages."
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    index = commands.add_parser(
        "index",
        help="build or update the index from the corpus folder",
        description="Index new and changed articles (incrementally, by content hash).",
    )
    _add_paths(index, corpus=True)
    index.add_argument("--full", action="store_true", help="re-embed every article")
    index.add_argument(
        "--strict",
        action="store_true",
        help="publish nothing and exit with status 1 if any file cannot be read",
    )
    index.add_argument(
        "--wait",
        type=float,
        default=0,
        metavar="SECONDS",
        help="wait this long for another running build instead of exiting (default 0)",
    )
    index.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="read, chunk and embed on a Ray cluster (host:port of its head; without ADDRESS, "
        "RAY_ADDRESS or a new local instance); needs pip install -e '.[ray]'",
    )
    index.set_defaults(run=run_index)

    serve = commands.add_parser(
        "serve",
        help="serve the chat page and the JSON API",
        description="Serve / (chat page), POST /ask, GET /articles/<id> and GET /healthz. "
        "Builds the index first when none exists.",
    )
    _add_paths(serve, corpus=True)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, help="server processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per process (default 4)")
    serve.set_defaults(run=run_serve)

    ask = commands.add_parser(
        "ask", help="ask a question from the terminal", description="Print the best passages."
    )
    ask.add_argument("question", help="the question, in plain words")
    ask.add_argument("-k", type=int, default=None, help="how many passages (default 5)")
    ask.add_argument("--json", action="store_true", help="print exactly the JSON /ask returns")
    ask.add_argument(
        "--server",
        metavar="URL",
        help="ask this running `qa serve` (default: the one at QA_HOST:QA_PORT when it serves "
        "the same index); when none answers, the question is answered here",
    )
    ask.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (ISO)")
    ask.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE (ISO)")
    ask.add_argument(
        "--source",
        action="append",
        dest="sources",
        metavar="OUTLET",
        help="only this outlet (repeatable; any case)",
    )
    ask.add_argument(
        "--as-of", metavar="DATE", help='the day the question is asked ("this week"); default today'
    )
    ask.add_argument(
        "--order", choices=("relevance", "date"), help="best first (default) or newest first"
    )
    _add_paths(ask, corpus=False)
    ask.add_argument(
        "--history",
        type=Path,
        metavar="FILE",
        help="the earlier turns of the conversation, a JSON list as /ask takes them (- for stdin)",
    )
    ask.set_defaults(run=run_ask)

    chat = commands.add_parser(
        "chat",
        help="a conversation in the terminal",
        description="Ask questions one after another; follow-ups are read against the earlier "
        "ones, as on the chat page. /new starts over, /help lists the commands.",
    )
    chat.add_argument("-k", type=int, default=None, help="how many passages (default 5)")
    chat.add_argument(
        "--server",
        metavar="URL",
        help="ask this running `qa serve` (default: the one at QA_HOST:QA_PORT when it serves "
        "the same index); when none answers, the questions are answered here",
    )
    _add_paths(chat, corpus=False)
    chat.set_defaults(run=run_chat)

    add = commands.add_parser(
        "add",
        help="validate article files or web addresses and copy them into the corpus",
        description="Each article (of a file, a saved page, a feed, or a page or feed fetched "
        "from an http(s) address) is written to the corpus folder as <id>.md; records that "
        "cannot be read are named with the reason and skipped.",
    )
    add.add_argument(
        "files",
        nargs="+",
        metavar="FILE_OR_URL",
        help="article files, saved pages, feeds, or http(s) addresses of pages or feeds",
    )
    add.add_argument(
        "--replace", action="store_true", help="overwrite an article whose content changed"
    )
    _add_paths(add, corpus=True, index=False)
    add.set_defaults(run=run_add)

    watch = commands.add_parser(
        "watch",
        help="poll feeds, add their new entries to the corpus and index them",
        description="Fetch each feed every --every (seconds or minutes: 30s, 15m); write new "
        "or corrected entries into the corpus (fetching the page when the feed has only a "
        "summary) and index them incrementally. What has been seen is kept in "
        "<corpus>.watch.json beside the corpus. Ctrl+C or SIGTERM stops it cleanly.",
    )
    watch.add_argument("feeds", nargs="+", metavar="FEED_URL", help="http(s) addresses of feeds")
    watch.add_argument("--every", default="15m", help="time between polls (default 15m)")
    watch.add_argument("--once", action="store_true", help="poll once, index, and exit")
    _add_paths(watch, corpus=True)
    watch.set_defaults(run=run_watch)

    evaluate = commands.add_parser(
        "eval",
        help="measure retrieval and answer quality on a benchmark",
        description="Index the benchmark's articles (cached by content hash under QA_CACHE) "
        "and ask every question as /ask answers it; print a table of metrics per method. "
        "Formats and the files each needs: "
        + "; ".join(
            f"{name} ({', '.join('--' + need for need in needs)})"
            for name, (_, needs) in sorted(FORMATS.items())
        )
        + ".",
    )
    evaluate.add_argument(
        "--format", required=True, choices=sorted(FORMATS), help="the benchmark's format"
    )
    evaluate.add_argument(
        "--corpus", dest="corpus_file", type=Path, metavar="FILE", help="the articles (JSON)"
    )
    evaluate.add_argument("--queries", type=Path, metavar="FILE", help="the questions")
    evaluate.add_argument(
        "--data", type=Path, metavar="FILE", help="articles and questions in one file (squad)"
    )
    evaluate.add_argument(
        "--off-topic",
        type=Path,
        metavar="FILE",
        help="questions nothing answers (short; default: off_topic.jsonl beside --queries)",
    )
    evaluate.add_argument(
        "--methods",
        default="hybrid,bm25,dense",
        help="comma-separated rows to compare: hybrid (what /ask uses), bm25, dense, rrf "
        "(equal-weight reciprocal rank fusion); the JSON's top-level figures are the first's",
    )
    evaluate.add_argument(
        "--json", action="store_true", help="end with the figures as one JSON object on one line"
    )
    evaluate.add_argument("--model", help="embedding model name or folder (QA_MODEL)")
    evaluate.set_defaults(run=run_eval)
    return parser


def run_index(args: argparse.Namespace, settings: Settings) -> int:
    from qa.build import build_from_corpus
    from qa.embedding import Embedder, SentenceTransformerEmbedder
    from qa.prepare import Preparer

    if not settings.corpus.is_dir():
        raise QAError(f"The corpus folder {settings.corpus} does not exist.")
    with contextlib.ExitStack() as stack:
        builder: Embedder | Preparer
        embedder: SentenceTransformerEmbedder | None = None
        if args.ray is not None:
            from qa.raybuild import RayPreparer

            ray = RayPreparer(
                args.ray or None, settings.model, settings.precision, settings.ray_actor_cpus
            )
            builder = stack.enter_context(contextlib.closing(ray))
        else:
            embedder = SentenceTransformerEmbedder(settings.model, precision=settings.precision)
            builder = embedder
        report = build_from_corpus(
            settings.corpus,
            settings.index,
            builder,
            full=args.full,
            progress=True,
            wait=args.wait,
            strict=args.strict,
        )
    if embedder is not None and settings.query_runtime != "torch":
        from qa.query_encoder import wants_int8

        quantized = wants_int8(settings.query_runtime)
        embedder.export_for_questions(settings.cache, quantized)  # `qa ask` without PyTorch
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.headline())
    return 1 if report.refused else 0


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qa.index import current_version
    from qa.server import serve

    built = current_version(settings.index) is None
    if built:
        print(f"No index in {settings.index} yet: building it from {settings.corpus}.")
        # In a child process: torch's thread pools must not exist in the process that
        # gunicorn forks its workers from, or the workers hang.
        command = [sys.executable, "-m", "qa", "index", "--wait", "60"]
        command += ["--corpus", str(settings.corpus), "--index", str(settings.index)]
        command += ["--model", settings.model]
        if subprocess.run(command, check=False).returncode != 0:
            return 1
    serve(settings, announce=not built)  # the build has said how it embeds
    return 0


def run_chat(args: argparse.Namespace, settings: Settings) -> int:
    from qa.chat import chat

    return chat(asker(settings, args.server), input, sys.stdout, k=args.k)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from qa.embedding import SentenceTransformerEmbedder
    from qa.evals import benchmark as load_benchmark
    from qa.evals.runner import LATENCY_KEYS, METHODS, EvalFiles, RunOptions, evaluate, report
    from qa.threads import request_threads

    benchmark = load_benchmark(args.format)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if not methods or unknown:
        raise QAError(f"--methods takes a list of {', '.join(METHODS)}, not {unknown}.")
    files = EvalFiles(
        corpus=args.corpus_file, queries=args.queries, data=args.data, off_topic=args.off_topic
    )
    for name in benchmark.needs:
        path = getattr(files, name)
        if path is None:
            raise QAError(f"qa eval --format {args.format} needs --{name} FILE.")
        if not path.is_file():
            raise QAError(f"--{name}: no such file {path}.")
    embedder = SentenceTransformerEmbedder.from_settings(settings)  # as /ask embeds questions
    options = RunOptions(  # and on as many cores
        methods,
        progress=True,
        threads=request_threads(settings.workers, settings.threads),
        settings=settings,
    )
    results = evaluate(benchmark, files, embedder, settings.cache, options)
    print(report(benchmark, results))
    if args.json:
        first = results[methods[0]]
        summary: dict[str, Any] = {
            key: round(first[key], 4) for key in (*benchmark.keys, *LATENCY_KEYS) if key in first
        }
        summary |= {"format": args.format, "method": methods[0], "queries": int(first["queries"])}
        summary["methods"] = {
            method: {key: round(value, 4) for key, value in metrics.items()}
            for method, metrics in results.items()
        }
        print(json.dumps(summary))
    return 0


def _add_paths(parser: argparse.ArgumentParser, *, corpus: bool, index: bool = True) -> None:
    if corpus:
        parser.add_argument("--corpus", type=Path, help="article folder (QA_CORPUS; ./corpus)")
    if index:
        parser.add_argument("--index", type=Path, help="index folder (QA_INDEX; ./index)")
    parser.add_argument("--model", help="embedding model name or folder (QA_MODEL)")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("corpus", "index", "model", "host", "port", "workers", "threads")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
