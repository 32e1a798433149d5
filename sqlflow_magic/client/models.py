"""Typed values the client sends and receives: files to upload, a submit request, a job."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

from ..protocol import FINAL_STATUSES
from .secrets import Secret

_SECRET_KEYS = frozenset({"password", "token", "secretkey", "secret_key", "secret"})


@dataclass(frozen=True)
class UploadFile:
    """One ``sqlfiles`` part: in-memory bytes, or a path read while the request is sent."""

    filename: str
    content: bytes | None = field(default=None, repr=False)
    path: Path | None = None

    @classmethod
    def from_text(cls, text: str, filename: str = "cell.sql") -> UploadFile:
        return cls(filename=filename, content=text.encode("utf-8"))

    @property
    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        return self.path.stat().st_size if self.path else 0

    def open(self, stack: ExitStack) -> bytes | BinaryIO:
        """The body to send: the bytes, or the file opened for the duration of ``stack``."""
        if self.content is not None:
            return self.content
        if self.path is None:
            raise ValueError(f"UploadFile {self.filename!r} has neither content nor path")
        return stack.enter_context(self.path.open("rb"))

    def content_type(self) -> str:
        return "application/zip" if self.filename.lower().endswith(".zip") else "text/plain; charset=utf-8"


@dataclass(frozen=True)
class SubmitRequest:
    """The fields of ``submitPersistJob`` (and ``submitUserJob``) except the credentials.

    With no ``job_id`` this is a first submit (``firstSubmit=true``); with one, the files are added
    to that job (``incremental=true`` unless ``incremental`` is False). ``schedulable`` and ``on_top``
    left None are not sent, so a later submit keeps the job's schedule and pin (SQLFlow's default: off).
    """

    dbvendor: str
    files: tuple[UploadFile, ...]
    job_id: str | None = None
    job_name: str | None = None
    incremental: bool = True
    default_database: str | None = None
    default_schema: str | None = None
    hostname: str | None = None
    port: int | None = None
    database: str | None = None
    account: str | None = None
    password: Secret | None = field(default=None, repr=False)
    schedulable: bool | None = None
    cron_expression: str | None = None
    on_top: bool | None = None
    sqlsource: str | None = None
    extra: str | None = None

    def form_fields(self, *, reveal_secrets: bool) -> dict[str, str]:
        """The scalar form fields, as strings. Secrets are masked unless ``reveal_secrets``."""
        first = self.job_id is None
        fields: dict[str, str | None] = {
            "dbvendor": self.dbvendor,
            "jobName": self.job_name,
            "jobId": self.job_id,
            "firstSubmit": _bool(first),
            "incremental": None if first else _bool(self.incremental),
            "defaultDatabase": self.default_database,
            "defaultSchema": self.default_schema,
            "hostname": self.hostname,
            "port": None if self.port is None else str(self.port),
            "database": self.database,
            "account": self.account,
            "schedulable": None if self.schedulable is None else _bool(self.schedulable),
            "cronExpression": self.cron_expression,
            "onTop": None if self.on_top is None else _bool(self.on_top),
            "sqlsource": self.sqlsource,
            "extra": self.extra,
        }
        if self.password is not None:
            fields["password"] = self.password.reveal() if reveal_secrets else str(self.password)
        return {name: value for name, value in fields.items() if value is not None}


def _bool(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class LineageOptions:
    """What a lineage export shows: SQLFlow's display settings. ``None`` leaves a setting to the server,
    whose defaults are ``fdd`` only, result sets and functions hidden, column level, no filter.
    """

    relation_types: tuple[str, ...] | None = None
    show_result_sets: bool | None = None
    show_functions: bool | None = None
    table_level: bool = False
    database: str | None = None
    schema: str | None = None
    table: str | None = None
    column: str | None = None

    def form_fields(self) -> dict[str, str]:
        """The fields that ask for these settings (``showRelationType``, ``ignoreRecordSet``, ...)."""
        fields: dict[str, str | None] = {
            "showRelationType": None if self.relation_types is None else ",".join(self.relation_types),
            "ignoreRecordSet": None if self.show_result_sets is None else _bool(not self.show_result_sets),
            "ignoreFunction": None if self.show_functions is None else _bool(not self.show_functions),
            "tableToTable": _bool(self.table_level),
            "database": self.database, "schema": self.schema, "table": self.table, "column": self.column,
        }
        return {name: value for name, value in fields.items() if value is not None}


#: The server's own choice of every setting, as SQLFlow's own clients get it.
SERVER_DEFAULTS = LineageOptions()
#: What the lineage picture asks for: both kinds of data flow, so that it can draw them apart.
PICTURE = LineageOptions(relation_types=("fdd", "fdr"))


@dataclass(frozen=True)
class Job:
    """A SQLFlow job as the server described it (submit answer or job summary). Holds no secrets."""

    job_id: str
    job_name: str = ""
    user_id: str = ""
    db_vendor: str = ""
    status: str = ""
    file_names: tuple[str, ...] = ()
    create_time: str = ""
    data_source: Mapping[str, Any] = field(default_factory=dict)
    error_message: str | None = None
    execute_time: str | None = None
    execute_time_millis: int | None = None
    last_execute_time: str | None = None
    on_top: bool | None = None
    persist: bool | None = None
    incremental: bool | None = None
    schedulable: bool | None = None
    session_id: str | None = None
    version: str | None = None
    other: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: Seconds the server asked to wait before the next poll (the status answer's ``Retry-After``), if any.
    retry_after: float | None = field(default=None, repr=False, compare=False)

    _KNOWN: ClassVar[dict[str, str]] = {
        "jobId": "job_id", "jobName": "job_name", "userId": "user_id", "dbVendor": "db_vendor",
        "status": "status", "createTime": "create_time", "errorMessage": "error_message",
        "executeTime": "execute_time", "executeTimeMillis": "execute_time_millis",
        "lastExecuteTime": "last_execute_time", "onTop": "on_top", "persist": "persist",
        "incremental": "incremental", "schedulable": "schedulable", "sessionId": "session_id",
        "version": "version",
    }

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Job:
        """Build a job from the ``data`` object of a SQLFlow answer, dropping any secret-like field."""
        clean = _without_secrets(data)
        known = {attr: clean[key] for key, attr in cls._KNOWN.items() if key in clean and clean[key] is not None}
        for attr in ("job_id", "job_name", "user_id", "db_vendor", "status", "create_time"):
            known[attr] = str(known.get(attr, ""))
        if "version" in known:
            known["version"] = str(known["version"])
        names = clean.get("fileNames") or []
        source = clean.get("dataSource")
        rest = {k: v for k, v in clean.items() if k not in cls._KNOWN and k not in ("fileNames", "dataSource")}
        return cls(**known, file_names=tuple(str(n) for n in names),
                   data_source=source if isinstance(source, dict) else {}, other=rest)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The statements SQLFlow could not analyse (``errorMessage``, ``errorType``, ``coordinates``, ...)."""
        found = self.other.get("errors")
        return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _without_secrets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_secrets(v) for k, v in value.items() if str(k).lower() not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value
