"""`qa serve`: the app under gunicorn (a production WSGI server), each worker warmed up.

gunicorn's `gthread` workers: `QA_WORKERS` processes, each answering `QA_THREADS` requests at
once. Every worker loads the model itself, while the index's vectors are memory-mapped, so the
workers share one copy of them in the page cache. Before a worker takes requests it loads the
model and the index and answers one question, so the first real request is not slow.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from qa.settings import Settings
from qa.threads import limit_threads, request_threads

log = logging.getLogger(__name__)


class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn has no types
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        options = {
            "bind": f"{_host(settings.host)}:{settings.port}",
            "workers": settings.workers,
            "threads": settings.threads,
            "worker_class": "gthread",
            "timeout": settings.worker_timeout,
            "graceful_timeout": 10,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "post_worker_init": _warm_worker,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from qa.app import create_app

        return create_app(self.settings)


def _warm_worker(worker: Any) -> None:
    """Load the model and index before the worker takes its first request."""
    # Each request on its share of the cores (`qa.threads`): with numpy's BLAS uncapped too,
    # its threads fought over the cores with concurrent requests, so 8 clients got no more
    # answers/s than one.
    limit_threads(request_threads(worker.cfg.workers, worker.cfg.threads))
    service = worker.wsgi.extensions["qa_service"]
    try:
        service.warm()
    except Exception as error:  # an unbuilt index still lets the worker answer 503s
        log.warning("Worker %s started without an index: %s", worker.pid, error)


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(settings: Settings) -> None:
    print(f"Serving on http://{_host(settings.host)}:{settings.port}/ (Ctrl+C to stop)")
    _Server(settings).run()
