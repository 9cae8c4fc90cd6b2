"""Reaching a running `qa serve` from this machine."""

from __future__ import annotations

_ANY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def reachable_host(host: str) -> str:
    """Where this machine reaches a server listening on `host` (any address: loopback)."""
    host = host.strip("[]")
    return _ANY_ADDRESS.get(host, host)
