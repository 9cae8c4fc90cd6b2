"""The index a server answers from: the live version, swapped for a newer one when a build
publishes it (`qa.index`), while each request keeps the version it started with."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from qa.errors import IndexUnavailable
from qa.index import Index, current_version, load_index, load_version

log = logging.getLogger(__name__)


class LiveIndex:
    """The index a server answers from, swapped for a newer version when one is published.

    Each request takes one `Index` object from `get()` and uses only it, so no answer mixes
    versions. The check for a new version is a `readlink`, done at most every `interval` seconds.
    """

    def __init__(self, index_root: Path, model_id: str | None, interval: float = 2.0) -> None:
        self.index_root = index_root
        self.model_id = model_id
        self.interval = interval
        self._index: Index | None = None
        self._error: IndexUnavailable | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def get(self) -> Index:
        """The newest usable index; IndexUnavailable when none has ever loaded."""
        due = time.monotonic() - self._checked >= self.interval
        # The first load blocks; later checks are skipped while another thread is checking.
        if (due or self._index is None) and self._lock.acquire(blocking=self._index is None):
            try:
                self._refresh()
                self._checked = time.monotonic()
            finally:
                self._lock.release()
        if self._index is None:
            raise self._error or IndexUnavailable("No index is loaded: run `qa index`.")
        return self._index

    def refresh(self) -> Index:
        """Check for a newer version now (after this process published one itself)."""
        with self._lock:
            self._refresh()
            self._checked = time.monotonic()
        return self.get()

    def _refresh(self) -> None:
        folder = current_version(self.index_root)
        if self._index is not None and folder == self._index.path:
            return
        try:
            if folder is None:
                loaded = load_index(self.index_root)  # raises the "no index yet" message
            else:
                loaded = load_version(folder, model_id=self.model_id, index_root=self.index_root)
        except IndexUnavailable as error:
            if self._index is None:
                self._error = error
            else:  # keep serving the last good version
                log.warning("Keeping index %s: %s", self._index.manifest.version, error)
            return
        loaded.story_rows  # noqa: B018  # made now (with `facts`), not by a request
        if self._index is not None:
            log.info("Switched to index version %s", loaded.manifest.version)
        self._index, self._error = loaded, None
