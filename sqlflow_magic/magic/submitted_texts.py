"""The SQL this kernel submitted, per server and job: the explorer's SQL behind an edge, OpenLineage's ``sql`` facet.

SQLFlow's API never returns a job's files, so a statement's text is known only where this kernel sent it.
``%%sqlflow_submit`` remembers each cell and text file it sent (zips and files that are not UTF-8 are
skipped), within :data:`MAX_FILES` files and :data:`MAX_CHARS` characters: past them the oldest are
forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from ..client.models import UploadFile

MAX_FILES = 200
MAX_CHARS = 20_000_000


class SubmittedTexts:
    """Texts by (server, job id, file name), bounded (the module's docstring)."""

    def __init__(self, max_files: int = MAX_FILES, max_chars: int = MAX_CHARS) -> None:
        self.max_files, self.max_chars = max_files, max_chars
        self._texts: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._chars = 0

    def remember(self, server: str, job_id: str, files: Sequence[UploadFile]) -> None:
        """Keep the text of each file a submit sent to ``job_id`` on ``server``."""
        for upload in files:
            text = _text_of(upload, self.max_chars)
            if text is None:
                continue
            key = (server, job_id, upload.filename)
            self._chars -= len(self._texts.pop(key, ""))
            self._texts[key] = text
            self._chars += len(text)
        while len(self._texts) > self.max_files or self._chars > self.max_chars:
            self._chars -= len(self._texts.popitem(last=False)[1])

    def files(self, server: str, job_id: str) -> dict[str, str]:
        """The remembered files of one job: file name -> text."""
        return {name: text for (srv, job, name), text in self._texts.items() if (srv, job) == (server, job_id)}

    def clear(self) -> None:
        """Forget every text (as a new kernel would)."""
        self._texts.clear()
        self._chars = 0


def _text_of(upload: UploadFile, max_chars: int) -> str | None:
    try:
        data = upload.content if upload.content is not None else (
            upload.path.read_bytes() if upload.path is not None and upload.size <= max_chars else None)
    except OSError:
        return None
    if data is None or data[:4] == b"PK\x03\x04" or len(data) > max_chars:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


#: This kernel's memory.
SUBMITTED = SubmittedTexts()
