"""`qa ask` through a running `qa serve`: one POST /ask, and no model or index loaded here.

Only the standard library is imported, so asking a server takes a Python start and a request.
A server that does not accept the connection within CONNECT_TIMEOUT, or answers with anything
but an /ask answer, is passed over silently and the question is answered in-process. A server
found at QA_HOST:QA_PORT (rather than named with `--server`) must also be serving the index this
command would read, the same version of it: otherwise (another index folder, or an older version
for a moment after a build) it is passed over too.
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from qa.errors import QAError

CONNECT_TIMEOUT = 0.5  # seconds; on loopback a refused connection takes far less
ANSWER_TIMEOUT = 60.0  # a server that has just started may still be loading its model
_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def reachable_host(host: str) -> str:
    """Where this machine reaches a server listening on `host` (any address: loopback)."""
    host = host.strip("[]")
    return _ANY_ADDRESS.get(host, host)


def server_url(host: str, port: int) -> str:
    """The URL to reach a `qa serve` listening on `host`:`port` from this machine."""
    host = reachable_host(host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def ask_server(url: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The server's /ask answer to `payload`, or None when none came."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise QAError(f"--server takes a URL such as http://127.0.0.1:8000, not {url!r}.")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=CONNECT_TIMEOUT)
    try:
        connection.connect()
        if connection.sock is not None:
            connection.sock.settimeout(ANSWER_TIMEOUT)
        connection.request(
            "POST",
            parts.path.rstrip("/") + "/ask",
            body=json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException, ValueError):  # ValueError: a port out of range
        return None
    finally:
        connection.close()
    if response.status != 200:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict) or not isinstance(answer.get("index_version"), str):
        return None
    return answer


def live_version(index_root: Path) -> str | None:
    """The version `index_root/current` points at, read as `qa.index.current_version` reads it
    but without importing the index code (FAISS, bm25s), which would double a quick answer."""
    try:
        return Path(os.readlink(index_root / "current")).name
    except OSError:
        return None
