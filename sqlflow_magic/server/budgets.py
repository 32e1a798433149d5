"""Budgets of SQL per request and per job: how many bytes it expands to, and how many SQL files it is.

A zip is counted by what it expands to: its ``.sql`` members, each one SQL file, and their
uncompressed bytes. A plain file is one SQL file of its own size. Four settings of
:class:`~sqlflow_magic.server.config.ServerConfig` bound them (``docs/security.md``):

* ``max_request_sql_bytes`` and ``max_request_sql_files``: one request (a submit, or the SQL of a
  ``/sqlflow/generation/...`` or ``/demo/...`` call);
* ``max_job_sql_bytes`` and ``max_job_sql_files``: one job, with every file it holds, so that
  incremental submits cannot grow it past them.

A submit is measured in two passes (:func:`measure_files`). The first reads only what the zips'
central directories declare, and refuses at once what would be over a budget or over an archive's
own limits (``server/lineage/input/archives.py``), before anything is inflated. The second inflates each member in
chunks that are counted and dropped, since declared sizes are the sender's word. Past a budget,
:class:`BudgetExceeded`; past an archive's limit, :class:`OverLimit`. Either is answered 413 with its
one-line message, and nothing of the request is stored. The job store checks the job's budget again
in the transaction that adds the files (``JobStore.add_files``), so two submits at once cannot both
fit in its last bytes. An analysis process charges the same budget while it expands a job's files
(:class:`SqlBudget` given to ``expand_zip``), for jobs stored before budgets were counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Literal, Protocol

from sqlflow_magic.server.lineage.input.archives import ArchiveError, ArchiveLimitError, expand_zip, survey_zip

if TYPE_CHECKING:
    from sqlflow_magic.server.config import ServerConfig

_ZIP_MAGIC = b"PK\x03\x04"
#: How a volume checked against a budget is known (see :meth:`SqlLimit.check`).
Counted = Literal["declared", "counted", "stopped"]


class OverLimit(ValueError):
    """A request is over a limit on the SQL it carries; the server answers 413 with this one-line message."""


class BudgetExceeded(OverLimit):
    """A request or a job would hold more SQL than its budget; the message names the setting and the fix."""


def is_zip(filename: str, content: bytes) -> bool:
    """Whether an uploaded file is taken as a zip: by its name or by its first bytes (``content`` may be those)."""
    return filename.lower().endswith(".zip") or content.startswith(_ZIP_MAGIC)


class MeasuredFile(Protocol):
    """A file a request carries, as measured here: a ``SqlFile`` or an upload spooled to disk."""

    @property
    def filename(self) -> str: ...

    @property
    def size(self) -> int: ...

    def open_binary(self) -> IO[bytes]:
        """The content as a seekable binary stream, at its start (read, never closed, by the caller)."""
        ...


def _head(stream: IO[bytes]) -> bytes:
    """The first bytes of ``stream``, which is left at its start."""
    head = stream.read(len(_ZIP_MAGIC))
    stream.seek(0)
    return head


@dataclass(frozen=True)
class SqlVolume:
    """An amount of SQL: bytes once expanded, and files (a zip's ``.sql`` members, each plain file)."""

    sql_bytes: int = 0
    sql_files: int = 0

    def __add__(self, other: SqlVolume) -> SqlVolume:
        return SqlVolume(self.sql_bytes + other.sql_bytes, self.sql_files + other.sql_files)


@dataclass(frozen=True)
class SqlLimit:
    """The budget of one request or one job: at most ``max_bytes`` of SQL in at most ``max_files`` files."""

    scope: Literal["request", "job"]
    max_bytes: int
    max_files: int

    def check(self, volume: SqlVolume, *, held: SqlVolume = SqlVolume(), how: Counted = "counted") -> None:
        """Raise :class:`BudgetExceeded` if ``held`` (what a job holds already) plus ``volume`` is over the budget.

        ``how`` the volume is known: ``"declared"`` by the zips' central directories, ``"counted"`` in
        full, or ``"stopped"``: counting stopped at the first chunk past the budget.
        """
        total = held + volume
        if total.sql_bytes > self.max_bytes:
            limit = _size(self.max_bytes)
            amount = {
                "declared": f"{_size(total.sql_bytes)} (as its zips declare), over the limit of {limit}",
                "counted": f"{_size(total.sql_bytes)}, over the limit of {limit}",
                "stopped": f"more than the limit of {limit}",
            }[how]
            expands = "this request's SQL expands to" if self.scope == "request" else "the job's SQL would expand to"
            raise BudgetExceeded(f"{expands} {amount} ({self._setting('bytes', held)}); {self._fix('bytes')}")
        if total.sql_files > self.max_files:
            files = f"{total.sql_files:,}" if how != "stopped" else "more than"
            holds = "this request holds" if self.scope == "request" else "the job would hold"
            raise BudgetExceeded(
                f"{holds} {files} SQL files (zip members included), over the limit of "
                f"{self.max_files:,} ({self._setting('files', held)}); {self._fix('files')}"
            )

    def _setting(self, unit: str, held: SqlVolume) -> str:
        name = f"max_{self.scope}_sql_{unit}"
        if self.scope == "job" and held.sql_files:
            return f"{name}; it holds {_size(held.sql_bytes)} in {held.sql_files:,} files already"
        return name

    def _fix(self, unit: str) -> str:
        name = f"max_{self.scope}_sql_{unit}"
        if self.scope == "request":
            return f"send the files in several smaller requests, or raise {name} in the server's settings"
        return f"split the files into several jobs, or raise {name} in the server's settings"


def request_limit(config: ServerConfig) -> SqlLimit:
    """The budget of one request under ``config``."""
    return SqlLimit("request", config.max_request_sql_bytes, config.max_request_sql_files)


def job_limit(config: ServerConfig) -> SqlLimit:
    """The budget of one job under ``config``."""
    return SqlLimit("job", config.max_job_sql_bytes, config.max_job_sql_files)


class SqlBudget:
    """Counts SQL as it is expanded, against each ``(limit, held)``; raises :class:`BudgetExceeded` past one.

    ``held`` is what a job holds already (nothing for a request). :attr:`counted` is what was charged.
    """

    def __init__(self, *limits: tuple[SqlLimit, SqlVolume]) -> None:
        self._limits = limits
        self.counted = SqlVolume()

    def add_file(self) -> None:
        """One more SQL file."""
        self._charge(SqlVolume(0, 1))

    def add_bytes(self, count: int) -> None:
        """``count`` more bytes of SQL."""
        self._charge(SqlVolume(count, 0))

    def _charge(self, more: SqlVolume) -> None:
        self.counted += more
        for limit, held in self._limits:
            limit.check(self.counted, held=held, how="stopped")


def measure_files(files: Sequence[MeasuredFile], *limits: tuple[SqlLimit, SqlVolume]) -> list[SqlVolume]:
    """The SQL each file expands to, once all of it is within every ``(limit, held)``; see the module's docstring.

    Raises :class:`BudgetExceeded` past a budget and :class:`OverLimit` when a zip is over an archive's
    limit (both before inflating anything where the central directories tell). A zip that cannot be
    read is no refusal: it is stored, and its analysis reports it as today; it counts what was
    inflated of it before the damage showed.
    """
    declared, zipped = SqlVolume(), False
    for file in files:
        volume, is_archive = _declared(file)
        declared, zipped = declared + volume, zipped or is_archive
    for limit, held in limits:
        limit.check(declared, held=held, how="declared" if zipped else "counted")
    budget = SqlBudget(*limits)
    volumes = []
    for file in files:
        before = budget.counted
        stream = file.open_binary()
        if is_zip(file.filename, _head(stream)):
            try:
                expand_zip(stream, budget=budget, keep=False)
            except ArchiveLimitError as exc:
                raise OverLimit(f"{file.filename}: {exc}; nothing of this request was stored") from None
            except ArchiveError:
                pass
        else:
            budget.add_file()
            budget.add_bytes(file.size)
        counted = budget.counted
        volumes.append(SqlVolume(counted.sql_bytes - before.sql_bytes, counted.sql_files - before.sql_files))
    return volumes


def _declared(file: MeasuredFile) -> tuple[SqlVolume, bool]:
    """What ``file`` declares it expands to, and whether it is a zip (whose declaration is the sender's word)."""
    stream = file.open_binary()
    if not is_zip(file.filename, _head(stream)):
        return SqlVolume(file.size, 1), False
    try:
        survey = survey_zip(stream)
    except ArchiveLimitError as exc:
        raise OverLimit(f"{file.filename}: {exc}; nothing of this request was stored") from None
    except ArchiveError:  # unreadable: its analysis says so
        return SqlVolume(), True
    return SqlVolume(survey.declared_bytes, survey.sql_files), True


def _size(count: int) -> str:
    """``64 MiB``, ``2.95 GiB``, ``812 bytes``: a size as people read it."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{round(count / scale, 2):g} {unit}"
    return f"{count} bytes"
