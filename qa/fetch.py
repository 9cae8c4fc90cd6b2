"""Fetching pages and feeds over HTTP(S), carefully.

One GET per address with a clear user agent, a deadline for the whole exchange (connecting,
headers and body), a size limit counted while the body streams in (after decompression, so a
small compressed bomb cannot get past it), a few redirects followed one by one (a loop is named
as such), and the content type checked before the body is read. Conditional requests (ETag,
Last-Modified) let `qa watch` poll without downloading what it has seen. Every failure is a
FetchError whose message says what went wrong, in a line a user can act on.

urllib3 does the HTTP: it is already installed with trafilatura, streams bodies, and leaves
redirects to us.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    NewConnectionError,
    ReadTimeoutError,
)

from qa import __version__
from qa.errors import FetchError

USER_AGENT = f"qa-news/{__version__} (news question answering; reads pages and feeds it is given)"
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/feed+json,application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8"
)
# What a page or a feed is served as; anything else (images, PDFs, video) is refused unread.
READABLE_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/xml",
    "text/xml",
    "application/json",
    "text/plain",  # some servers send feeds as plain text; the readers check the bytes
)
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    """How long, how much and how far one fetch may go."""

    timeout: float = 20.0  # seconds for the whole exchange, redirects included
    max_bytes: int = 10_000_000  # of body, after decompression
    max_redirects: int = 5


@dataclass(frozen=True)
class Fetched:
    """A response that passed every check (or a 304 Not Modified to a conditional request)."""

    url: str  # the address asked for
    final_url: str  # where it ended, after redirects
    status: int
    content_type: str | None
    data: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(
    url: str,
    limits: FetchLimits | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET `url` within `limits`; FetchError saying why when that fails."""
    limits = limits or FetchLimits()
    deadline = time.monotonic() + limits.timeout
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    pool = urllib3.PoolManager(retries=False)
    visited: list[str] = []
    current = url
    try:
        while True:
            _check_address(current)
            if current in visited:
                raise FetchError(f"redirect loop ({' -> '.join([*visited, current])})")
            visited.append(current)
            response = _request(pool, current, headers, deadline, limits)
            if response.status not in REDIRECTS:
                return _read(url, current, response, deadline, limits)
            location = response.headers.get("Location")
            response.drain_conn()
            response.release_conn()
            if not location:
                raise FetchError(f"the server redirected (HTTP {response.status}) to nowhere")
            if len(visited) > limits.max_redirects:
                raise FetchError(f"too many redirects (more than {limits.max_redirects})")
            current = urljoin(current, location)
    finally:
        pool.clear()


def _request(
    pool: urllib3.PoolManager,
    url: str,
    headers: dict[str, str],
    deadline: float,
    limits: FetchLimits,
) -> urllib3.BaseHTTPResponse:
    remaining = _remaining(deadline, limits)
    try:
        return pool.request(
            "GET",
            url,
            headers=headers,
            redirect=False,
            preload_content=False,
            timeout=urllib3.Timeout(connect=remaining, read=remaining),
        )
    except NewConnectionError as error:  # before its base class, ConnectTimeoutError
        where = urlsplit(url).netloc
        raise FetchError(f"could not connect to {where} ({_reason(error)})") from None
    except (ConnectTimeoutError, ReadTimeoutError):
        raise _timed_out(limits) from None
    except LocationParseError:
        raise FetchError(f"{url!r} is not a valid address") from None
    except HTTPError as error:
        if isinstance(getattr(error, "reason", None), (ConnectTimeoutError, ReadTimeoutError)):
            raise _timed_out(limits) from None
        raise FetchError(f"the request failed ({_reason(error)})") from None


def _read(
    url: str,
    final_url: str,
    response: urllib3.BaseHTTPResponse,
    deadline: float,
    limits: FetchLimits,
) -> Fetched:
    etag = response.headers.get("ETag")
    last_modified = response.headers.get("Last-Modified")
    content_type = response.headers.get("Content-Type")
    try:
        if response.status == 304:
            return Fetched(url, final_url, 304, content_type, b"", etag, last_modified)
        if response.status != 200:
            reason = f" {response.reason}" if response.reason else ""
            raise FetchError(f"the server answered HTTP {response.status}{reason}")
        kind = (content_type or "").split(";")[0].strip().lower()
        if kind and kind not in READABLE_TYPES:
            raise FetchError(f"not a web page or a feed (content type {kind})")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise _too_large(limits)
        body = bytearray()
        while True:
            _remaining(deadline, limits)
            chunk = response.read1(CHUNK_BYTES)
            if not chunk:
                break
            body += chunk
            if len(body) > limits.max_bytes:
                raise _too_large(limits)
    except (ReadTimeoutError, TimeoutError):
        raise _timed_out(limits) from None
    except HTTPError as error:  # a connection cut mid-body, a broken gzip stream
        raise FetchError(f"the response could not be read ({_reason(error)})") from None
    finally:
        response.release_conn()
    return Fetched(url, final_url, 200, content_type, bytes(body), etag, last_modified)


def _check_address(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise FetchError(f"{url!r} is not a valid address") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FetchError(f"{url!r} is not an http(s) address")


def _remaining(deadline: float, limits: FetchLimits) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _timed_out(limits)
    return remaining


def _timed_out(limits: FetchLimits) -> FetchError:
    return FetchError(f"timed out (no complete answer within {limits.timeout:g} s)")


def _too_large(limits: FetchLimits) -> FetchError:
    return FetchError(f"the response is larger than the limit of {limits.max_bytes:,} bytes")


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return text.split(": ", 1)[-1][:200] if text else type(reason).__name__
