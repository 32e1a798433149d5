"""Settings of the local SQLFlow-compatible server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs


def time_limit_message(limit: float, circumstance: str = "") -> str:
    """What a job or a request that ran past ``job_time_limit_seconds`` (``limit``) is told; the one wording.

    ``circumstance`` says how far it got or what happened, e.g. ``" after 120 statements"``.
    """
    return (f"time limit of {limit:g} s (job_time_limit_seconds) exceeded{circumstance}; "
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

    Uploads (``docs/security.md``): a request may carry ``max_upload_bytes`` in at most
    ``max_files_per_request`` files, whose parts are spooled to disk past one MiB; its text fields are
    kept in memory, ``max_field_bytes`` in all. At most ``max_concurrent_uploads`` uploads larger than
    one MiB are received at once (503 past it). Before the caller's credentials are known, at most
    ``max_preauth_bytes`` of a body are read, and no more at all by an endpoint that takes no files.
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
    allow_onprem_user: bool = True
    job_time_limit_seconds: float = 120.0
    job_kill_grace_seconds: float = 5.0
    analysis_processes: int = 2
    run_worker: bool = True
    max_queued_jobs_per_user: int | None = 100

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

    @property
    def kill_after_seconds(self) -> float:
        """Seconds after which an analysis that ignored ``job_time_limit_seconds`` is killed."""
        return self.job_time_limit_seconds + self.job_kill_grace_seconds


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
