"""`qa serve`: the app under gunicorn (a production WSGI server), each worker warmed up.

gunicorn's `gthread` workers: `QA_WORKERS` processes, each answering `QA_THREADS` requests at
once. Every worker loads the model itself, while the index's vectors are memory-mapped, so the
workers share one copy of them in the page cache. Before a worker takes requests it loads the
model and the index and answers one question, so the first real request is not slow.

The terminal gets our lines and gunicorn's warnings and errors only: how the model embeds
(precision, question runtime) from the first worker to be warm alone, and "Ready on http://..."
once a worker answers /healthz (so after that line), polled by a process forked from the gunicorn
master. gunicorn's control socket (`gunicornc`, from 25.1), which it would otherwise create in
$HOME, is off.
"""

from __future__ import annotations

import http.client
import logging
import multiprocessing
import os
import signal
import sys
import time
from typing import Any

from gunicorn.app.base import BaseApplication

from qa.client import reachable_host
from qa.settings import Settings
from qa.threads import limit_threads, request_threads

log = logging.getLogger(__name__)
_announced: list[bool] = []  # in the master: whether the announcing process was started


class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn has no types
    def __init__(self, settings: Settings, announce: bool = True) -> None:
        self.settings = settings
        # Shared with the workers forked from here: set by the first one warm, which then alone
        # logs how it embeds (all or none, when `announce` is false).
        self.said = multiprocessing.get_context("fork").Value("b", not announce)
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
            "loglevel": "warning",  # not "Starting gunicorn", "Booting worker" and the like
            "post_worker_init": _warm_worker,
            "when_ready": _announce_when_answering,
            "control_socket_disable": True,
        }
        for key, value in options.items():
            if key in self.cfg.settings:  # control_socket_disable: gunicorn 25.1 and later
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
    embedding_log = logging.getLogger("qa.embedding")
    held = _Held()
    embedding_log.addHandler(held)
    embedding_log.propagate = False
    try:
        service.warm()
    except Exception as error:  # an unbuilt index still lets the worker answer 503s
        log.warning("Worker %s started without an index: %s", worker.pid, error)
    finally:
        embedding_log.removeHandler(held)
        embedding_log.propagate = True
    with worker.app.said.get_lock():
        first, worker.app.said.value = not worker.app.said.value, True
    if first:
        for record in held.records:
            embedding_log.handle(record)


class _Held(logging.Handler):
    """Keeps a worker's log records until it knows whether it is the one to say them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _announce_when_answering(arbiter: Any) -> None:
    """In the master, once its socket is bound: start a process that prints "Ready on ..."
    when a worker answers.

    A process, not a thread: the master forks the workers, and a worker forked while a thread
    of the master was inside an import (getaddrinfo imports `encodings.idna` on first use) was
    left with that module's import lock held, and hung on its first request.
    """
    if _announced:  # gunicorn calls this again when it reloads
        return
    _announced.append(True)
    address = arbiter.LISTENERS[0].sock.getsockname()  # the real port, also for port 0
    settings = arbiter.app.settings
    line = f"Ready on http://{_host(settings.host)}:{address[1]} (Ctrl+C to stop)\n"
    master = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() != 0:
        return  # gunicorn's master reaps the child when it exits, as any unknown child
    try:
        for signum in (*arbiter.SIGNALS, signal.SIGCHLD):  # not the master's handlers
            signal.signal(signum, signal.SIG_DFL)
        for listener in arbiter.LISTENERS:  # the port closes with the master, not later
            listener.sock.close()
        _wait_for_answer(reachable_host(settings.host), address[1], line, master)
    finally:
        os._exit(0)


def _wait_for_answer(host: str, port: int, line: str, master: int) -> None:
    while os.getppid() == master:  # else the master has gone: nothing to announce
        connection = http.client.HTTPConnection(host, port, timeout=10)
        try:
            connection.request("GET", "/healthz")
            connection.getresponse().read()  # any status: 503 without an index is an answer
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
            continue
        finally:
            connection.close()
        os.write(sys.stdout.fileno(), line.encode())
        return


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(settings: Settings, *, announce: bool = True) -> None:
    """Run until stopped. `announce=False`: the workers do not log the precision line (the
    command has printed it already, building the index)."""
    print(
        f"Starting {settings.workers} worker(s) on http://{_host(settings.host)}:{settings.port} "
        "(each loads the model and the index first)"
    )
    _Server(settings, announce).run()
