"""The `history` of an /ask request checked turn by turn, so that a bad one is an
`invalid_history` naming the turn and the field ("history[2].question" must be a string).

`qa.contract.AskRequest` calls `checked_history` before its own field checks; what passes is
a list of plain turns with their text stripped.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

from qa import errors
from qa.articles import is_unicode_text

MAX_HISTORY_TURNS = 20
MAX_ANSWER_CHARS = 5000  # a few answer sentences, as the person saw them
MAX_TURN_ARTICLES = 50  # as many as one answer can cite (the largest k)
MAX_ARTICLE_ID_CHARS = 200


def checked_history(value: Any, max_question_chars: int) -> Any:
    """`history` as sent, with every turn's fields checked and their text stripped; a broken
    rule is an `invalid_history` that names the turn and the field."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _history_error('"history" must be a list of earlier turns, oldest first.')
    if len(value) > MAX_HISTORY_TURNS:
        raise _history_error(
            f'"history" may hold at most {MAX_HISTORY_TURNS} turns: send the latest ones.'
        )
    turns = []
    for number, turn in enumerate(value):
        name = f'"history[{number}]'
        if not isinstance(turn, dict):
            raise _history_error(
                f'{name}" must be an object such as {{"question": "...", "answer": "...", '
                '"article_ids": ["..."]}.'
            )
        unknown = sorted(set(turn) - {"question", "answer", "article_ids"})
        if unknown:
            raise _history_error(f'Unknown field {name}.{unknown[0]}".')
        if "question" not in turn:
            raise _history_error(f'{name}" needs a "question" field.')
        question = _history_text(turn["question"], f'{name}.question"', max_question_chars)
        if not question:
            raise _history_error(f'{name}.question" must not be empty or blank.')
        answer = turn.get("answer")
        if answer is not None:
            answer = _history_text(answer, f'{name}.answer"', MAX_ANSWER_CHARS)
        ids = turn.get("article_ids")
        ids = [] if ids is None else ids
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise _history_error(f'{name}.article_ids" must be a list of article id strings.')
        if len(ids) > MAX_TURN_ARTICLES or any(len(i) > MAX_ARTICLE_ID_CHARS for i in ids):
            raise _history_error(
                f'{name}.article_ids" may hold at most {MAX_TURN_ARTICLES} ids of at most '
                f"{MAX_ARTICLE_ID_CHARS} characters each."
            )
        turns.append({"question": question, "answer": answer, "article_ids": ids})
    return turns


def _history_text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _history_error(f"{name} must be a string.")
    if not is_unicode_text(value):
        raise _history_error(f"{name} must be Unicode text (it has a lone surrogate).")
    if len(value) > limit:
        raise _history_error(f"{name} must be at most {limit} characters long.")
    return value.strip()


def _history_error(message: str) -> PydanticCustomError:
    """Raised inside pydantic validation: `qa.contract` turns it into the 400 as it is."""
    return PydanticCustomError(errors.INVALID_HISTORY, "{message}", {"message": message})
