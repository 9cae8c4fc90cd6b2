"""`qa ask`: one question from the terminal; and where `qa ask` and `qa chat` get answers.

An answer comes from a running `qa serve` when one answers (`qa.client`), else from this
process, where the model loads once and questions are embedded without PyTorch when the
exported ONNX model is cached. Only the standard library is imported here at first, so asking
a running server stays quick.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.errors import QAError
from qa.settings import Settings


def asker(
    settings: Settings, server: str | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """How `qa ask` and `qa chat` get answers: an /ask request body in, its JSON answer out,
    exactly as /ask answers it. Each question goes to a running `qa serve` when one answers
    (`server`, or the one at QA_HOST:QA_PORT serving the live version of this index); else it
    is answered in this process, where the model loads once (`_local_asker`)."""
    local: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def ask(payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal local
        answer = _ask_server(server, settings, payload)
        if answer is not None:
            return answer
        if local is None:
            local = _local_asker(settings)
        return local(payload)

    return ask


def run_ask(args: argparse.Namespace, settings: Settings) -> int:
    payload: dict[str, Any] = {"question": args.question}
    for name in ("k", "since", "until", "sources", "as_of", "order"):
        if getattr(args, name) is not None:
            payload[name] = getattr(args, name)
    if args.history is not None:
        payload["history"] = _read_history(args.history)
    result = asker(settings, args.server)(payload)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
    else:
        print_answer(result)
    return 0


def print_answer(result: dict[str, Any]) -> None:
    """An /ask answer as `qa ask` prints it: what was understood, the answer sentences, then
    each passage with its citation."""
    understood = _understood_line(result["understood"])
    if understood:
        print(understood + "\n")
    if not result["passages"]:
        print("No passages found.")
    elif not result["answerable"]:
        print("Nothing in the articles seems relevant enough; the closest passages:\n")
    for sentence in result["answer"]:
        print(textwrap.fill(f"{sentence['text']} [{sentence['passage']}]", width=100))
    if result["answer"]:
        print()
    for number, passage in enumerate(result["passages"], start=1):
        cite = passage["citation"]
        where = ", ".join(str(x) for x in (cite["source"], cite["date"]) if x)
        print(f"[{number}] {cite['title']} ({where})  score {passage['score']:.3f}")
        print(f"    {cite['article_id']}, characters {cite['start']}-{cite['end']}")
        if cite["url"]:
            print(f"    {cite['url']}")
        if cite.get("updated"):
            print(f"    updated {cite['updated']}")
        if cite.get("copies"):  # the same story from other outlets
            print(
                "    also reported by "
                + ", ".join(c["source"] or c["title"] for c in cite["copies"])
            )
        print(textwrap.indent(textwrap.fill(passage["text"], width=96), "    "))
        print()


def _ask_server(
    url: str | None, settings: Settings, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """The answer of a running `qa serve`: the one named, or the one at QA_HOST:QA_PORT when
    it serves the live version of this command's index; None when there is none."""
    from qa.client import ask_server, live_version, server_url

    if url is not None:
        return ask_server(url, payload)
    answer = ask_server(server_url(settings.host, settings.port), payload)
    if answer is not None and answer["index_version"] == live_version(settings.index):
        return answer
    return None


def _local_asker(settings: Settings) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """/ask answers computed in this process. Questions are embedded by the cached ONNX export
    without importing PyTorch when there is one; else by PyTorch, and the export is left in
    QA_CACHE after the first answer, for the next `qa ask` (unless QA_QUERY_RUNTIME=torch)."""
    from qa import contract
    from qa.query_encoder import cached_query_encoder, wants_int8
    from qa.service import QAService

    onnx = settings.query_runtime != "torch"
    quantized = wants_int8(settings.query_runtime)
    encoder = (
        cached_query_encoder(settings.cache, settings.model, quantized=quantized) if onnx else None
    )
    service = QAService(settings, embedder=encoder)  # without one, PyTorch loads on first use
    exported = not onnx or encoder is not None

    def ask(payload: dict[str, Any]) -> dict[str, Any]:
        nonlocal exported
        request = contract.parse(contract.AskRequest, payload, settings)
        result: dict[str, Any] = service.ask(request).model_dump(mode="json")
        if not exported:
            from qa.embedding import SentenceTransformerEmbedder

            if isinstance(service.embedder, SentenceTransformerEmbedder):
                service.embedder.export_for_questions(settings.cache, quantized)
            exported = True
        return result

    return ask


def _read_history(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as error:
        raise QAError(f"--history: cannot read {path}: {error.strerror or error}.") from None
    except ValueError as error:
        raise QAError(f"--history: {path} is not JSON ({error}).") from None


def _understood_line(understood: dict[str, Any]) -> str:
    """What `qa ask` says it understood of time and outlets, in one line (or nothing)."""
    parts = []
    if understood.get("since") or understood.get("until"):
        span = f"{understood.get('since') or '...'} to {understood.get('until') or '...'}"
        if understood.get("window") == "question":
            note = ", nothing there answers: other dates" if understood.get("widened") else ""
            parts.append(f'"{understood["time_phrase"]}" = {span} (preferred{note})')
        else:
            parts.append(f"only {span}")
    elif understood.get("time_phrase"):
        parts.append(f'"{understood["time_phrase"]}"')
    if understood.get("sources"):
        parts.append("only " + ", ".join(understood["sources"]))
    newest = understood.get("newest")
    if newest:
        parts.append(
            f"newest passage: {newest['date']}, {newest['days_before_as_of']} days before "
            f"{understood['as_of']}"
        )
    return ("Understood: " + "; ".join(parts)) if parts else ""
