"""The SQL text behind an edge: the statement an edge's positions point to, in the job's files.

SQLFlow's API returns no job's files (neither does the local server: it keeps only SQLFlow's routes), so
the text of a statement is known only when this kernel sent it: ``%sqlflow_lineage --show`` passes what
``%%sqlflow_submit`` remembered (``sqlflow_magic.magic.submitted_texts``); plain Python passes the text
itself: ``LineageExplorer(lineage, sql={"load.sql": text})``. The text shown has the credentials written
in it masked (``password=...``, ``user:pw@host``), as every output of the package does.

A lineage's positions name their file by a ``hashCode`` that is ``"0"`` on the local server and on
SQLFlow for a single file: the text is found when the job has one file, and said to be unavailable
(with the reason) when it has several.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ...client.scrubbing import Scrubber
from .edge_details import Statement

#: Lines shown around a position whose statement span is not in the lineage, at most, each way.
STATEMENT_REACH = 30


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
    return Lookup(Scrubber()("\n".join(lines[first - 1:last])), name, None)
