"""The request bodies of the HTTP API, with their rules: POST /ask and POST /articles.

Limits that are settings (the question's length, `k`) are checked against the running
`Settings`, handed in as the validation context; `Request.limits` puts them into the document.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Literal

from pydantic import (
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from qa import errors
from qa.articles import is_unicode_text
from qa.contract.base import Request, context_settings, rule, shown
from qa.history import MAX_ANSWER_CHARS, MAX_HISTORY_TURNS, MAX_TURN_ARTICLES, checked_history
from qa.settings import Settings


class HistoryTurn(Request):
    """An earlier turn of the conversation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question: StrictStr = Field(min_length=1, pattern=r"\S", description="What was asked.")
    answer: StrictStr | None = Field(
        default=None,
        max_length=MAX_ANSWER_CHARS,
        description="The answer text the person saw (such as the answer sentence).",
    )
    article_ids: list[StrictStr] = Field(
        default_factory=list,
        max_length=MAX_TURN_ARTICLES,
        description="The articles that answer cited, most important first; ids the index "
        "does not hold are ignored.",
    )

    @classmethod
    def limits(cls, settings: Settings) -> dict[str, dict[str, Any]]:
        return {"question": {"maxLength": settings.max_question_chars}}


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_SOURCES = 100


class AskRequest(Request):
    codes: ClassVar[dict[str, str]] = {
        "question": errors.INVALID_QUESTION,
        "k": errors.INVALID_K,
        "history": errors.INVALID_HISTORY,
        **dict.fromkeys(
            ("since", "until", "as_of", "sources", "order", "time_words"), errors.INVALID_FILTER
        ),
    }
    parts: ClassVar[tuple[type[Request], ...]] = (HistoryTurn,)
    missing_codes: ClassVar[dict[str, str]] = {"question": errors.MISSING_QUESTION}
    example: ClassVar[str] = '{"question": "Who said what?"}'

    question: StrictStr = Field(
        min_length=1, pattern=r"\S", description="Not blank; surrounding whitespace is dropped."
    )
    k: StrictInt = Field(default=5, description="How many passages to return.")
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="The earlier turns of the conversation, oldest first: a question that "
        'leans on them ("What did he say about NATO?") is searched with the thread\'s words '
        "and articles; one that stands alone is answered as without them.",
    )
    since: dt.date | None = Field(
        default=None, description="Only articles dated on or after this day (ISO, inclusive)."
    )
    until: dt.date | None = Field(
        default=None, description="Only articles dated on or before this day (ISO, inclusive)."
    )
    sources: list[StrictStr] | None = Field(
        default=None,
        max_length=MAX_SOURCES,
        description="Only these outlets (names as GET /sources gives them, any case).",
    )
    as_of: dt.date | None = Field(
        default=None,
        description='The day the question is asked, for its time words ("this week"); '
        "default today.",
    )
    order: Literal["relevance", "date"] = Field(
        default="relevance", description="Passages best first, or the same passages newest first."
    )
    time_words: StrictBool = Field(
        default=True,
        description='Read time words in the question ("this week", "latest"); false answers '
        "as if it had none.",
    )

    @classmethod
    def limits(cls, settings: Settings) -> dict[str, dict[str, Any]]:
        return {
            "question": {"maxLength": settings.max_question_chars},
            "k": {"minimum": 1, "maximum": settings.max_k, "default": settings.default_k},
        }

    @field_validator("history", mode="before")
    @classmethod
    def _history_turns(cls, value: Any, info: ValidationInfo) -> Any:
        return checked_history(value, context_settings(info).max_question_chars)

    @field_validator("since", "until", "as_of", mode="before")
    @classmethod
    def _iso_date(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        name = info.field_name
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
            raise rule(
                errors.INVALID_FILTER,
                f'"{name}" must be an ISO date such as "2023-11-27", not {shown(value)}.',
            )
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise rule(
                errors.INVALID_FILTER, f'"{name}" is not a real date: {shown(value)}.'
            ) from None

    @field_validator("sources", mode="before")
    @classmethod
    def _source_names(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise rule(
                errors.INVALID_FILTER,
                '"sources" must be a list of outlet names, such as ["TechCrunch"].',
            )
        if len(value) > MAX_SOURCES:
            raise rule(errors.INVALID_FILTER, f'"sources" takes at most {MAX_SOURCES} names.')
        if not all(isinstance(name, str) and name.strip() for name in value):
            raise rule(
                errors.INVALID_FILTER, '"sources" must hold outlet names (non-empty strings).'
            )
        return value

    @field_validator("order", mode="before")
    @classmethod
    def _order(cls, value: Any) -> Any:
        if value not in ("relevance", "date"):
            raise rule(errors.INVALID_FILTER, '"order" must be "relevance" or "date".')
        return value

    @field_validator("time_words", mode="before")
    @classmethod
    def _time_words(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise rule(errors.INVALID_FILTER, '"time_words" must be true or false.')
        return value

    @model_validator(mode="after")
    def _window(self) -> AskRequest:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise rule(
                errors.INVALID_FILTER,
                f'"since" ({self.since}) must not be after "until" ({self.until}).',
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_k(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "k" not in data:
            return {**data, "k": context_settings(info).default_k}
        return data

    @field_validator("question", mode="before")
    @classmethod
    def _question_text(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's string check names the field
        if not is_unicode_text(value):
            raise rule(
                errors.INVALID_QUESTION,
                '"question" must be Unicode text (it has a lone surrogate such as \\ud800).',
            )
        if not value.strip():
            raise rule(errors.EMPTY_QUESTION, '"question" must not be empty or blank.')
        limit = context_settings(info).max_question_chars
        if len(value) > limit:
            raise rule(
                errors.QUESTION_TOO_LONG, f'"question" must be at most {limit} characters long.'
            )
        return value.strip()

    @field_validator("k")
    @classmethod
    def _k_range(cls, value: int, info: ValidationInfo) -> int:
        largest = context_settings(info).max_k
        if not 1 <= value <= largest:
            raise rule(errors.INVALID_K, f'"k" must be between 1 and {largest}.')
        return value


class NewArticle(Request):
    """An article for POST /articles; its fields are checked like a file's (qa.formats).

    An article with the `url` of one already there is a correction: it replaces that one
    (status "replaced"), keeps its date when none is given, and is `updated` now unless it says
    when. Without a url, an article with the same title and date but other text is a conflict.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    codes: ClassVar[dict[str, str]] = {
        name: errors.INVALID_ARTICLE
        for name in ("title", "body", "date", "source", "url", "updated", "authors", "")
    }
    missing_codes: ClassVar[dict[str, str]] = codes
    example: ClassVar[str] = '{"title": "...", "body": "..."}'

    title: StrictStr = Field(min_length=1, pattern=r"\S")
    body: StrictStr = Field(min_length=1, pattern=r"\S")
    date: StrictStr | None = Field(default=None, description="Any full date; kept as ISO 8601.")
    source: StrictStr | None = None
    url: StrictStr | None = Field(
        default=None, description="An http(s) address; the same url again is a correction."
    )
    updated: StrictStr | None = Field(
        default=None, description="When it was updated or corrected (any full date)."
    )
    authors: list[StrictStr] = Field(default_factory=list, max_length=50, description="Bylines.")
