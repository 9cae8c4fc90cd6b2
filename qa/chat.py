"""`qa chat`: a conversation in the terminal, asked the way the chat page asks.

Each question is sent as an /ask request with the conversation so far as `history` (the
earlier questions, each with the answer sentences shown and the articles cited: `history_turn`),
so "What did he say about NATO?" after "Who is Sergey Lavrov?" is read as a follow-up; the
reply says so ("Following up on: Sergey Lavrov"). `/new` starts a new conversation, `/help`
lists the commands, `/quit`, Ctrl+D or Ctrl+C end the session.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any, TextIO

from qa.errors import QAError
from qa.history import MAX_HISTORY_TURNS

Asker = Callable[[dict[str, Any]], dict[str, Any]]  # an /ask request body -> its JSON answer

HELP = """Ask a question about the articles; follow-ups ("What did he say about NATO?") are read
against the conversation so far.
  /new    start a new conversation (forget the earlier questions)
  /help   this help
  /quit   end (so do Ctrl+D and Ctrl+C)"""
WIDTH = 100


def history_turn(question: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The history turn for an answered question, as the chat page sends it: the question, the
    answer sentences shown (if any), and the articles cited, the answer sentences' first."""
    cited = [span["article_id"] for span in answer["answer"]]
    cited += [passage["citation"]["article_id"] for passage in answer["passages"]]
    turn: dict[str, Any] = {"question": question, "article_ids": list(dict.fromkeys(cited))}
    if answer["answer"]:
        turn["answer"] = " ".join(span["text"] for span in answer["answer"])
    return turn


def chat(ask: Asker, read: Callable[[str], str], out: TextIO, k: int | None = None) -> int:
    """Run the conversation: `read(prompt)` gives each line (EOFError ends it), `ask` answers."""
    history: list[dict[str, Any]] = []
    print("Ask about the articles (/help for commands, Ctrl+D to end).", file=out)
    while True:
        try:
            line = read("\n> ").strip()
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        if not line:
            continue
        command = line.lower()
        if command in ("/quit", "/exit", "/q"):
            return 0
        if command == "/help":
            print(HELP, file=out)
            continue
        if command == "/new":
            history = []
            print("New conversation.", file=out)
            continue
        if command.startswith("/"):
            print(f"Unknown command {line.split()[0]}; /help lists them.", file=out)
            continue
        payload: dict[str, Any] = {"question": line, "history": history[-MAX_HISTORY_TURNS:]}
        if k is not None:
            payload["k"] = k
        try:
            answer = ask(payload)
        except QAError as error:
            print(f"qa: error: {error}", file=out)
            continue
        except KeyboardInterrupt:
            print(file=out)
            return 0
        print(reply(answer), file=out)
        history.append(history_turn(line, answer))


def reply(answer: dict[str, Any]) -> str:
    """An answer for the terminal: how it was understood, the answer sentence, then each cited
    passage on one line."""
    lines: list[str] = []
    understood = answer["understood"]
    if understood["follow_up"]:
        carried = ", ".join(understood["carried"]) or "the earlier questions"
        lines.append(f"(Following up on: {carried})")
    passages = answer["passages"]
    if not passages:
        return "\n".join([*lines, "No passages found."])
    if not answer["answerable"]:
        lines.append("Nothing in the articles seems relevant enough; the closest:")
    for span in answer["answer"]:
        lines.append(textwrap.fill(f"{span['text']} [{span['passage']}]", width=WIDTH))
    if answer["answerable"] and not answer["answer"]:
        lines.append(textwrap.shorten(passages[0]["text"], width=WIDTH * 2) + " [1]")
    numbers: dict[str, list[int]] = {}  # each article once, with the numbers of its passages
    for number, passage in enumerate(passages, start=1):
        numbers.setdefault(passage["citation"]["article_id"], []).append(number)
    for found in numbers.values():
        cite = passages[found[0] - 1]["citation"]
        where = ", ".join(str(x) for x in (cite["source"], cite["date"]) if x)
        line = f"[{', '.join(map(str, found))}] {cite['title']}" + (f" ({where})" if where else "")
        lines.append("  " + textwrap.shorten(line, width=WIDTH - 2, placeholder="..."))
    return "\n".join(lines)
