"""The SQL text behind an edge: the files this kernel submitted, remembered, and the statement in them.

SQLFlow's API returns no job's files (neither does the local server: it keeps only SQLFlow's routes), so
the text of a statement is known only when this kernel sent it. ``%%sqlflow_submit`` remembers each
cell and file it sent in :data:`SUBMITTED`, per (server, job id, file name), within
:data:`MAX_REMEMBERED_FILES` files and :data:`MAX_REMEMBERED_CHARS` characters (the oldest are
forgotten first). Plain Python passes the text itself: ``LineageExplorer(lineage, sql={"load.sql": text})``.

A lineage's positions name their file by a ``hashCode`` that is ``"0"`` on the local server and on
SQLFlow for a single file: the text is found when the job has one file, and said to be unavailable
(with the reason) when it has several.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ...client.models import UploadFile
from .edge_details import Statement

MAX_REMEMBERED_FILES = 200
MAX_REMEMBERED_CHARS = 20_000_000
#: Lines shown around a position whose statement span is not in the lineage, at most, each way.
STATEMENT_REACH = 30


class SubmittedSql:
    """The text of SQL files submitted from this kernel, per (server, job id, file name); bounded."""

    def __init__(self, max_files: int = MAX_REMEMBERED_FILES, max_chars: int = MAX_REMEMBERED_CHARS) -> None:
        self.max_files = max_files
        self.max_chars = max_chars
        self._texts: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._chars = 0

    def remember(self, server: str, job_id: str, file_name: str, text: str) -> None:
        """Keep ``text``; the oldest files are forgotten past the bounds (a text over them is not kept)."""
        key = (server, job_id, file_name)
        self._chars -= len(self._texts.pop(key, ""))
        if len(text) > self.max_chars:
            return
        self._texts[key] = text
        self._chars += len(text)
        while len(self._texts) > self.max_files or self._chars > self.max_chars:
            self._chars -= len(self._texts.popitem(last=False)[1])

    def files(self, server: str, job_id: str) -> dict[str, str]:
        """The remembered files of one job: file name -> text."""
        return {name: text for (srv, job, name), text in self._texts.items() if srv == server and job == job_id}

    def clear(self) -> None:
        self._texts.clear()
        self._chars = 0


#: The kernel's memory of what it submitted.
SUBMITTED = SubmittedSql()


@dataclass(frozen=True)
class Lookup:
    """The answer to a ``sql`` request: the text, or why it is not available."""

    text: str | None
    file: str | None
    reason: str | None


def file_name(files: Mapping[str, str], file_hash: str) -> str | None:
    """The file a position's ``hashCode`` names: the only file, or the one so named."""
    if file_hash in files:
        return file_hash
    return next(iter(files)) if len(files) == 1 else None


def statement_text(files: Mapping[str, str] | None, statement: Statement | None, where: str) -> Lookup:
    """The text of ``statement`` in ``files`` (file name -> text); ``where`` says whose files these are."""
    if statement is None:
        return Lookup(None, None, "the lineage gives no position for this edge")
    if not files:
        return Lookup(None, None, f"the SQL of {where} was not submitted from this kernel, and SQLFlow's API "
                                  "does not return a job's files")
    name = file_name(files, statement.file_hash)
    if name is None:
        return Lookup(None, None, f"{where} has {len(files)} files and the lineage's positions do not say "
                                  "which one this edge is in")
    lines = files[name].splitlines()
    first = statement.first_line
    if not 1 <= first <= len(lines):
        return Lookup(None, name, f"line {first} is past the end of {name} ({len(lines)} lines): "
                                  "the file was changed after it was submitted")
    if statement.last_line is not None:
        last = min(max(statement.last_line, first), len(lines))
    else:  # no span: from the line after the previous ';' to the next ';'
        while first > 1 and first > statement.first_line - STATEMENT_REACH and \
                not lines[first - 2].rstrip().endswith(";"):
            first -= 1
        last = statement.first_line
        while last < len(lines) and last < statement.first_line + STATEMENT_REACH and \
                not lines[last - 1].rstrip().endswith(";"):
            last += 1
    return Lookup("\n".join(lines[first - 1:last]), name, None)


def remember_uploads(server: str, job_id: str, files: Sequence[UploadFile], memory: SubmittedSql = SUBMITTED) -> None:
    """Remember the SQL files a submit sent (zips and files that are not UTF-8 text are skipped)."""
    for upload in files:
        try:
            data = upload.content if upload.content is not None else (
                upload.path.read_bytes() if upload.path is not None and upload.size <= memory.max_chars else None)
        except OSError:
            continue
        if data is None or data[:4] == b"PK\x03\x04":
            continue
        try:
            memory.remember(server, job_id, upload.filename, data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
