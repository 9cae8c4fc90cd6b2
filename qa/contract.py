"""The HTTP API's shapes, written once: every request and response body is a class here.

From these classes come request validation (`parse_body`), the OpenAPI document (`qa.openapi`)
and the API reference (docs/api.md). Responses are built as these classes and leave as
`model_dump(mode="json")`, by the app and by `qa ask --json` alike.

A request that breaks a rule is a `BadRequest` whose code names the field (`invalid_k`) or the
rule (`empty_question`) and whose message says what to send instead. Limits that are settings
(the question's length, `k`) are checked against the running `Settings`, handed in as the
validation context, and `Request.limits` puts them into the document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from qa import errors
from qa.errors import BadRequest
from qa.history import MAX_ANSWER_CHARS, MAX_HISTORY_TURNS, MAX_TURN_ARTICLES, checked_history
from qa.settings import Settings

# ---- Responses -------------------------------------------------------------------------------


class Shape(BaseModel):
    """A response body, or part of one: exactly these fields, nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Copy(Shape):
    """Another outlet's copy of an article: the same story (the same wire text under another
    headline, trimmed or with a paragraph added), found when the index was built."""

    article_id: str
    title: str
    source: str | None = Field(description="The outlet.")
    date: str | None = Field(description="ISO 8601.")
    url: str | None


_UPDATED = "ISO 8601: when the article was last updated or corrected; null when it never was."
_AUTHORS = "Bylines, when the article names them."
_PARTIAL = "True when only a feed's summary of the article is held, not its full text."
_COPIES = (
    "The other articles of its story (other outlets' copies), first published first; an answer "
    'cites one copy of a story and lists the others here ("also reported by"). Empty when none.'
)


class Citation(Shape):
    """Where a passage comes from; `body[start:end]` of the article is the passage's text."""

    article_id: str
    title: str
    date: str | None = Field(description="ISO 8601, as the article gives it.")
    source: str | None = Field(description="The outlet.")
    url: str | None
    start: int = Field(ge=0, description="Offset of the first character in the article body.")
    end: int = Field(ge=0, description="Offset after the last character.")
    updated: str | None = Field(default=None, description=_UPDATED)
    authors: list[str] = Field(default_factory=list, description=_AUTHORS)
    partial: bool = Field(default=False, description=_PARTIAL)
    copies: list[Copy] = Field(default_factory=list, description=_COPIES)


class Passage(Shape):
    text: str
    score: float = Field(description="What the list is ordered by; only comparable within it.")
    citation: Citation


class ShortAnswer(Shape):
    """The date, amount or number the question asks for, inside its answer sentence;
    `body[start:end]` of the article is `text`."""

    text: str
    start: int = Field(ge=0, description="Offset in the article body.")
    end: int = Field(ge=0)


class AnswerSpan(Shape):
    """An extracted answer sentence (or two adjacent ones); `body[start:end]` of its article is
    `text`."""

    text: str
    passage: int = Field(ge=1, description="The passage it comes from, numbered from 1.")
    article_id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    short: ShortAnswer | None = Field(
        default=None,
        description="The short answer inside the sentence when the question asks for a date, "
        "an amount or a number and one span clearly answers; else null.",
    )


class Newest(Shape):
    """How recent the newest evidence is: the latest article day among the passages."""

    date: str = Field(description="ISO date of the newest cited article.")
    days_before_as_of: int = Field(
        description="Days from that date to `as_of` (0: that very day; negative: after it)."
    )


class Understood(Shape):
    """How the question was read: as a follow-up of the thread or on its own, and the time,
    outlets and order it was answered for."""

    question: str = Field(description="The question as searched (with any carried terms).")
    follow_up: bool = Field(default=False, description="Read as leaning on the thread.")
    articles: list[str] = Field(
        default_factory=list, description="Article ids preferred from the thread."
    )
    carried: list[str] = Field(
        default_factory=list,
        description="Words of the thread the question was searched with, most salient first "
        '("Following up on: Sergey Lavrov, CSTO"); empty when not a follow-up.',
    )
    since: str | None = Field(default=None, description="Earliest article date searched (ISO).")
    until: str | None = Field(default=None, description="Latest article date searched (ISO).")
    sources: list[str] = Field(default_factory=list, description="Outlets searched (all if empty).")
    recency: bool = Field(default=False, description="Newer articles were preferred.")
    time_phrase: str | None = Field(default=None, description="The time words understood.")
    window: Literal["filter", "question"] | None = Field(
        default=None,
        description="Where `since`/`until` come from: the request's filters (a hard limit: "
        "no passage outside them) or the question's time words (a preference: passages from "
        "other days appear only where nothing inside answers); null when neither gave one.",
    )
    widened: bool = Field(
        default=False,
        description="The question's window held nothing that answers, so no passage is from it.",
    )
    as_of: str | None = Field(default=None, description="The day time words were read on (ISO).")
    newest: Newest | None = Field(
        default=None, description="For recency and timeline questions: the newest evidence."
    )
    timeline: bool = Field(
        default=False,
        description='The question asks how a story developed ("how has X developed"): the '
        "passages can be shown grouped by their citation's day.",
    )


class AskResponse(Shape):
    question: str = Field(description="The question as asked, surrounding whitespace dropped.")
    answerable: bool = Field(
        description="False when nothing in the articles seems relevant enough (then `answer` "
        "is empty and `passages` are only the closest ones)."
    )
    answer: list[AnswerSpan] = Field(description="Extracted answer spans, best first; maybe none.")
    passages: list[Passage] = Field(description="Best first, each cited.")
    understood: Understood
    index_version: str = Field(description="The index version that answered.")


class Article(Shape):
    id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    credits: list[str] = Field(description="Photo, author and source lines kept out of the body.")
    body: str = Field(description="Passage and answer offsets index into this string.")
    updated: str | None = Field(default=None, description=_UPDATED)
    authors: list[str] = Field(default_factory=list, description=_AUTHORS)
    partial: bool = Field(default=False, description=_PARTIAL)
    copies: list[Copy] = Field(default_factory=list, description=_COPIES)


class BuildSummary(Shape):
    """What the index build triggered by a request did."""

    version: str = Field(description="The index version now live.")
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int = Field(ge=0)
    skipped: list[str] = Field(description="Files that could not be read, with the reason.")
    passages_embedded: int = Field(ge=0)
    passages_total: int = Field(ge=0)
    seconds: float = Field(ge=0)


class AddedArticle(Shape):
    status: Literal["added", "replaced", "unchanged"] = Field(
        description='"replaced": an article with the same url was there (a correction).'
    )
    article: Article
    index: BuildSummary


class Health(Shape):
    status: Literal["ok"]
    articles: int = Field(ge=0)
    passages: int = Field(ge=0)
    model: str = Field(description="The embedding model the index was built with.")
    built_at: str
    version: str


class SourceSummary(Shape):
    """One outlet of the index."""

    name: str = Field(description="As `sources` in POST /ask takes it (any case).")
    articles: int = Field(ge=0)
    first_date: str | None = Field(description="Its earliest article day (ISO).")
    last_date: str | None = Field(description="Its latest article day (ISO).")


class Sources(Shape):
    sources: list[SourceSummary] = Field(description="Every outlet, by name.")


class ErrorDetail(Shape):
    code: str = Field(pattern="^[a-z_]+$", description="Stable; see the error table.")
    message: str = Field(min_length=1, description="A sentence that can be shown to a person.")


class ErrorBody(Shape):
    """The one error shape of every endpoint."""

    error: ErrorDetail


def error_body(code: str, message: str) -> dict[str, Any]:
    return ErrorBody(error=ErrorDetail(code=code, message=message)).model_dump()


# ---- Requests --------------------------------------------------------------------------------


class Request(BaseModel):
    """A request body. `codes` name the error code of each field; `example` shows a good body."""

    model_config = ConfigDict(frozen=True)
    codes: ClassVar[dict[str, str]] = {}
    missing_codes: ClassVar[dict[str, str]] = {}
    parts: ClassVar[tuple[type[Request], ...]] = ()  # nested shapes with limits of their own
    example: ClassVar[str] = "{...}"

    @classmethod
    def limits(cls, settings: Settings) -> dict[str, dict[str, Any]]:
        """Field -> JSON Schema keywords whose values are settings."""
        return {}


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
        return checked_history(value, _settings(info).max_question_chars)

    @field_validator("since", "until", "as_of", mode="before")
    @classmethod
    def _iso_date(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        name = info.field_name
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
            raise _rule(
                errors.INVALID_FILTER,
                f'"{name}" must be an ISO date such as "2023-11-27", not {_shown(value)}.',
            )
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise _rule(
                errors.INVALID_FILTER, f'"{name}" is not a real date: {_shown(value)}.'
            ) from None

    @field_validator("sources", mode="before")
    @classmethod
    def _source_names(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise _rule(
                errors.INVALID_FILTER,
                '"sources" must be a list of outlet names, such as ["TechCrunch"].',
            )
        if len(value) > MAX_SOURCES:
            raise _rule(errors.INVALID_FILTER, f'"sources" takes at most {MAX_SOURCES} names.')
        if not all(isinstance(name, str) and name.strip() for name in value):
            raise _rule(
                errors.INVALID_FILTER, '"sources" must hold outlet names (non-empty strings).'
            )
        return value

    @field_validator("order", mode="before")
    @classmethod
    def _order(cls, value: Any) -> Any:
        if value not in ("relevance", "date"):
            raise _rule(errors.INVALID_FILTER, '"order" must be "relevance" or "date".')
        return value

    @field_validator("time_words", mode="before")
    @classmethod
    def _time_words(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise _rule(errors.INVALID_FILTER, '"time_words" must be true or false.')
        return value

    @model_validator(mode="after")
    def _window(self) -> AskRequest:
        if self.since is not None and self.until is not None and self.since > self.until:
            raise _rule(
                errors.INVALID_FILTER,
                f'"since" ({self.since}) must not be after "until" ({self.until}).',
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _default_k(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and "k" not in data:
            return {**data, "k": _settings(info).default_k}
        return data

    @field_validator("question", mode="before")
    @classmethod
    def _question_text(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's string check names the field
        if not _is_unicode(value):
            raise _rule(
                errors.INVALID_QUESTION,
                '"question" must be Unicode text (it has a lone surrogate such as \\ud800).',
            )
        if not value.strip():
            raise _rule(errors.EMPTY_QUESTION, '"question" must not be empty or blank.')
        limit = _settings(info).max_question_chars
        if len(value) > limit:
            raise _rule(
                errors.QUESTION_TOO_LONG, f'"question" must be at most {limit} characters long.'
            )
        return value.strip()

    @field_validator("k")
    @classmethod
    def _k_range(cls, value: int, info: ValidationInfo) -> int:
        largest = _settings(info).max_k
        if not 1 <= value <= largest:
            raise _rule(errors.INVALID_K, f'"k" must be between 1 and {largest}.')
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


R = TypeVar("R", bound=Request)


def parse_body(model: type[R], body: bytes, settings: Settings) -> R:
    """Decode and validate a raw request body as `model`; every problem is a BadRequest."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # invalid UTF-8; nesting too deep to decode
        raise BadRequest(
            f"The request body must be JSON, such as {model.example}.", code=errors.INVALID_JSON
        ) from None
    return parse(model, payload, settings)


def parse(model: type[R], payload: Any, settings: Settings) -> R:
    """Validate a decoded payload as `model` (the CLI builds its request this way too)."""
    if not isinstance(payload, dict):
        raise BadRequest(
            f"The request body must be a JSON object, such as {model.example}.",
            code=errors.INVALID_REQUEST,
        )
    try:
        return model.model_validate(payload, context={"settings": settings})
    except ValidationError as error:
        raise _bad_request(model, error.errors(include_url=False)[0]) from None


def _bad_request(model: type[Request], problem: ErrorDetails) -> BadRequest:
    """The first validation problem in the project's words, with its error code."""
    location = [str(part) for part in problem["loc"]]
    field = location[0] if location else ""
    name = '"' + ".".join(location) + '"'
    kind = problem["type"]
    code = model.codes.get(field, errors.INVALID_REQUEST)
    if kind in _OWN_CODES:  # raised by our own rules, message and code included
        return BadRequest(problem["msg"], code=kind)
    if kind == "missing":
        code = model.missing_codes.get(field, code)
        return BadRequest(f"The request needs a {name} field.", code=code)
    if kind == "extra_forbidden":
        return BadRequest(f"Unknown field {name}.", code=model.codes.get("", code))
    expected = _EXPECTED.get(kind)
    if expected:
        return BadRequest(f"{name} must be {expected}.", code=code)
    return BadRequest(f"{name} is not valid: {problem['msg']}.", code=code)


_EXPECTED = {
    "string_type": "a string",
    "int_type": "a JSON integer",
    "int_from_float": "a JSON integer",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "string_too_short": "a non-empty string",
    "string_pattern_mismatch": "a string that is not blank",
}
_OWN_CODES = frozenset(code for _, codes in errors.CODES.values() for code in codes)


def _rule(code: str, message: str) -> PydanticCustomError:
    """A broken rule of ours: the message is already a whole sentence."""
    return PydanticCustomError(code, "{message}", {"message": message})


def _settings(info: ValidationInfo) -> Settings:
    context = info.context or {}
    settings = context.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def _shown(value: Any) -> str:
    """A sent value as a message may quote it (short)."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
