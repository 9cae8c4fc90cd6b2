"""The response bodies of the HTTP API: what /ask, /articles, /sources and /healthz answer, and
the one error shape. They leave as `model_dump(mode="json")`, by the app and `qa ask --json`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from qa.contract.base import Shape


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
