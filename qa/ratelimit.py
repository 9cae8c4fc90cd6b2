"""Per-client rate limiting (flask-limiter), on when QA_RATE_LIMIT is set.

Clients are told apart by their address as the server sees it (behind a reverse proxy, limit at
the proxy instead). Counts live in each worker process's memory, so with QA_WORKERS=N a client
gets up to N times the limit in the worst case. /healthz is never limited, so monitoring keeps
working while a client is being held back.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from qa.settings import Settings

UNLIMITED_ENDPOINTS = frozenset({"api.healthz"})


def install_rate_limit(app: Flask, settings: Settings) -> Limiter | None:
    """Limit every endpoint but /healthz to `settings.rate_limit` per client; None when off."""
    if not settings.rate_limit:
        return None
    return Limiter(
        get_remote_address,
        app=app,
        # one budget per client across all endpoints (default limits would count each apart)
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=lambda: request.endpoint in UNLIMITED_ENDPOINTS,
        headers_enabled=True,  # X-RateLimit-* on every answer, Retry-After on a 429
        storage_uri="memory://",
        strategy="moving-window",
    )
