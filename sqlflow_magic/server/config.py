"""Settings of the local SQLFlow-compatible server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

#: The smallest ``analysis_memory_limit_mb``: an analysis process takes about 115 MiB of address space
#: once the engine is imported (160 MiB at the peak of its start), Python and sqlglot included.
MIN_MEMORY_LIMIT_MB = 256


def time_limit_message(limit: float, circumstance: str = "") -> str:
    """What a job or a request that ran past ``job_time_limit_seconds`` (``limit``) is told; the one wording.

    ``circumstance`` says how far it got or what happened, e.g. ``" after 120 statements"``.
    """
    return (f"time limit of {limit:g} s (job_time_limit_seconds) exceeded{circumstance}; "
            "split the SQL into smaller jobs or raise the limit")


def memory_limit_message(limit_mb: int) -> str:
    """What a job or a request whose analysis ran out of memory is told; the one wording.

    ``limit_mb`` is ``analysis_memory_limit_mb``; 0 means there was none.
    """
    if limit_mb <= 0:
        return "the analysis ran out of the machine's memory; split the SQL into smaller jobs"
    return (f"the analysis needed more than its memory limit of {limit_mb} MiB (analysis_memory_limit_mb); "
            "split the SQL into smaller jobs or raise the limit")


def default_db_path() -> Path:
    """Return the per-user SQLite file the server keeps its jobs in by default."""
    return Path(platformdirs.user_data_dir("sqlflow-magic")) / "jobs.sqlite3"


@dataclass
class ServerConfig:
    """How the local server listens, who may use it and what it accepts.

    ``users`` maps a ``userId`` to its secret key; the secrets never show in ``repr``. With a
    ``users_file`` (a JSON object of the same), the users come from that file instead, read again
    whenever it changes (see ``server/users.py``).
    ``allow_onprem_user`` lets the on-premise user in without a token (``docs/security.md``).
    With ``jwt_secret=None`` the tokens are signed with the key in ``<db_path>.signing-key``, a ``0600``
    file made at the first start (``server/signing_key.py``), so tokens stay valid across restarts.

    ``/user/generateToken`` allows ``token_failures_per_user`` failed attempts in a row per ``userId`` and
    ``token_failures_per_address`` per client address; past either, it answers 429 with ``Retry-After``
    until the allowance refills, at that many failures per ``token_failure_window_seconds``
    (``server/rate_limit.py``).

    Lineage is computed in up to ``analysis_processes`` separate processes, started when first
    needed and then kept; with two or more, one stays free for ``/sqlflow/generation/sqlflow``
    while jobs run. An analysis may take
    ``job_time_limit_seconds``; one that ignores that limit is killed ``job_kill_grace_seconds``
    later. ``run_worker=False`` leaves submitted jobs in status ``create`` (a store-only server).

    Jobs are analysed round robin across users. A user may have at most ``max_queued_jobs_per_user``
    jobs waiting or being analysed; a submit past it is refused (code 429) and stores nothing.
    ``None`` lifts the cap (for a store-only server that nobody analyses, say).

    Budgets bound the SQL a request (``max_request_sql_bytes``, ``max_request_sql_files``) and a job,
    incremental submits included (``max_job_sql_bytes``, ``max_job_sql_files``), may expand to: bytes
    once zips are expanded, and files counting each ``.sql`` member of a zip (``server/budgets.py``).
    Past one, the request is answered 413 and nothing of it is stored. The defaults: 64 MiB is the
    largest cell or file the magic sends (its ``max_cell_bytes``) and more than ten times what the
    engine analyses within the default time limit; a job may gather twice that over its submits.
    Analysing 10,000 small files takes about 15 s.

    Each analysis process may use ``analysis_memory_limit_mb`` MiB of address space (``RLIMIT_AS``,
    where the platform has it; 0: no limit). Past it the analysis raises ``MemoryError``: the job
    fails with a message naming the setting, and the process is replaced. The default, 3072, is 1.3
    times the peak (2.3 GiB) of the heaviest script measured that the engine analyses within the
    default time limit (4.8 MB, 80,000 statements, 75-90 s), and below the 3.4-3.7 GiB that the 48
    zips of issue 17 took; an idle analysis process takes about 115 MiB. See ``docs/security.md``.

    A job of ``parallel_analysis_from_bytes`` of SQL or more (0: none) is analysed in batches across
    all the analysis processes, ``analysis_processes`` batches per ``analysis_processes *
    parallel_batch_bytes`` of SQL, and the batches merged into the result one analysis gives; each
    batch takes its turn for a process like any other task (``server/job_batches.py``).

    Uploads (``docs/security.md``): a request may carry ``max_upload_bytes`` in at most
    ``max_files_per_request`` files, whose parts are spooled to disk past one MiB; its text fields are
    kept in memory, ``max_field_bytes`` in all. At most ``max_concurrent_uploads`` uploads larger than
    one MiB are received at once (503 past it). Before the caller's credentials are known, at most
    ``max_preauth_bytes`` of a body are read, and no more at all by an endpoint that takes no files.
    A body that stops arriving for ``body_idle_timeout_seconds`` is answered 408 and its connection
    closed, which frees its upload slot (nginx's ``client_body_timeout`` is the same rule, 60 s).
    """

    db_path: Path = field(default_factory=default_db_path)
    host: str = "127.0.0.1"
    port: int = 0
    users: dict[str, str] = field(default_factory=dict, repr=False)
    users_file: Path | None = None
    jwt_secret: str | None = field(default=None, repr=False)
    token_ttl_seconds: int = 86400
    token_failures_per_user: int = 10
    token_failures_per_address: int = 30
    token_failure_window_seconds: float = 300.0
    max_upload_bytes: int = 200 * 1024 * 1024
    max_files_per_request: int = 100
    max_field_bytes: int = 4 * 1024 * 1024
    max_concurrent_uploads: int = 4
    max_preauth_bytes: int = 1024 * 1024
    body_idle_timeout_seconds: float = 60.0
    allow_onprem_user: bool = True
    job_time_limit_seconds: float = 120.0
    job_kill_grace_seconds: float = 5.0
    analysis_processes: int = 2
    run_worker: bool = True
    max_queued_jobs_per_user: int | None = 100
    max_request_sql_bytes: int = 64 * 1024 * 1024
    max_request_sql_files: int = 10_000
    max_job_sql_bytes: int = 128 * 1024 * 1024
    max_job_sql_files: int = 20_000
    analysis_memory_limit_mb: int = 3072
    parallel_analysis_from_bytes: int = 1_000_000
    parallel_batch_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        self.db_path = Path(self.db_path)
        if not 1 <= self.analysis_processes <= 8:
            raise ValueError(f"analysis_processes must be from 1 to 8, not {self.analysis_processes}")
        limits = ("max_upload_bytes", "max_files_per_request", "max_field_bytes", "max_concurrent_uploads",
                  "max_preauth_bytes")
        for name in limits:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.job_time_limit_seconds <= 0 or self.job_kill_grace_seconds < 0:
            raise ValueError("job_time_limit_seconds must be positive and job_kill_grace_seconds not negative")
        if self.max_queued_jobs_per_user is not None and self.max_queued_jobs_per_user < 1:
            raise ValueError(f"max_queued_jobs_per_user must be at least 1 (or None for no cap), "
                             f"not {self.max_queued_jobs_per_user}")
        if min(self.token_failures_per_user, self.token_failures_per_address) < 1:
            raise ValueError("token_failures_per_user and token_failures_per_address must be at least 1")
        if self.token_failure_window_seconds <= 0:
            raise ValueError(f"token_failure_window_seconds must be positive, not {self.token_failure_window_seconds}")
        budgets = ("max_request_sql_bytes", "max_request_sql_files", "max_job_sql_bytes", "max_job_sql_files")
        for name in budgets:
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive number, not {getattr(self, name)}")
        if self.parallel_analysis_from_bytes < 0 or self.parallel_batch_bytes < 1:
            raise ValueError("parallel_analysis_from_bytes must be 0 (never) or more, parallel_batch_bytes at least 1")
        if self.analysis_memory_limit_mb != 0 and self.analysis_memory_limit_mb < MIN_MEMORY_LIMIT_MB:
            raise ValueError(f"analysis_memory_limit_mb must be 0 (no limit) or at least {MIN_MEMORY_LIMIT_MB}, "
                             f"not {self.analysis_memory_limit_mb}: an analysis process needs that much to start")

    @property
    def kill_after_seconds(self) -> float:
        """Seconds after which an analysis that ignored ``job_time_limit_seconds`` is killed."""
        return self.job_time_limit_seconds + self.job_kill_grace_seconds


#: Settings ``sqlflow-magic serve --set NAME=VALUE`` may change: the limits, numbers all (``docs/server.md``).
TUNABLE_SETTINGS = tuple(
    f.name for f in fields(ServerConfig)
    # the port has its own option, and so has the cap on queued jobs, whose "no cap" is None
    if f.name not in ("port", "max_queued_jobs_per_user") and type(f.default) in (int, float)
)


def parse_setting(text: str) -> tuple[str, int | float]:
    """``NAME=VALUE`` of ``serve --set``: the setting and its value (``64_000_000`` reads as a number).

    Raises ``ValueError`` with a one-line message naming what is wrong and the settings there are."""
    name, sep, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if not sep or name not in TUNABLE_SETTINGS:
        raise ValueError(f"--set {text!r}: give NAME=VALUE, NAME one of {', '.join(TUNABLE_SETTINGS)}")
    kind = type(getattr(ServerConfig, name))
    try:
        return name, kind(value.strip())
    except ValueError:
        raise ValueError(f"--set {text!r}: {name} takes a {'whole ' if kind is int else ''}number") from None


class UsersFileError(ValueError):
    """The users file is missing, is not JSON or is not a ``{"userId": "secretKey"}`` object."""


def load_users_file(path: str | Path) -> dict[str, str]:
    """Read a JSON object ``{"userId": "secretKey", ...}`` from ``path``.

    Raises :class:`UsersFileError` with a message that never includes a secret.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsersFileError(f"cannot read users file {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsersFileError(f"users file {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise UsersFileError(f'users file {path} must hold a JSON object {{"userId": "secretKey"}}')
    for user_id, secret in data.items():
        if not isinstance(secret, str) or not secret:
            raise UsersFileError(f"users file {path}: the secret key of {user_id!r} must be a non-empty string")
    return dict(data)
