"""The contract's base classes, and its rule for turning a broken request into a 400.

`Shape` is a response body (or part of one), `Request` a request body. `parse_body` and `parse`
validate a request as its class, and the first problem becomes a `BadRequest` whose code names
the field (`invalid_k`) or the rule (`empty_question`) and whose message says what to send
instead. Rules of our own raise `rule(code, message)`; limits that are settings read the running
`Settings` from the validation context (`context_settings`).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from qa import errors
from qa.errors import BadRequest
from qa.settings import Settings


class Shape(BaseModel):
    """A response body, or part of one: exactly these fields, nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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


def rule(code: str, message: str) -> PydanticCustomError:
    """A broken rule of ours: the message is already a whole sentence."""
    return PydanticCustomError(code, "{message}", {"message": message})


def context_settings(info: ValidationInfo) -> Settings:
    context = info.context or {}
    settings = context.get("settings")
    return settings if isinstance(settings, Settings) else Settings()


def shown(value: Any) -> str:
    """A sent value as a message may quote it (short)."""
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
