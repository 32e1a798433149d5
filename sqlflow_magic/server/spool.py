"""One uploaded file part as it arrives: in memory while small, then in a temporary file on disk.

A part is kept in memory up to :data:`MEMORY_BYTES` and moves to a temporary file (created ``0600`` in
the system's temporary directory, ``TMPDIR``) as soon as it grows past that, so the server's memory does
not grow with the size of an upload. A spooled file is removed when the request ends; one without a name
(the default) has none from the start, so even a crash leaves nothing behind. A named one (the
synchronous endpoints, whose analysis process opens it by its path) is left behind only by a crash
while the request runs, named ``sqlflow-magic-upload-*``.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from typing import IO

from sqlflow_magic.server.records import SqlFile, SqlFileOnDisk

#: The most of one file part kept in memory; beyond it the part is written to a temporary file.
MEMORY_BYTES = 1024 * 1024
_PREFIX = "sqlflow-magic-upload-"


class SpooledUpload:
    """One file part of a request: ``filename`` and its content, in memory or in a temporary file.

    ``named``: the temporary file has a path that another process can open (:meth:`for_analysis`).
    """

    def __init__(self, filename: str, *, named: bool = False) -> None:
        self.filename = filename
        self.size = 0
        self._named = named
        self._memory = bytearray()
        self._file: IO[bytes] | None = None

    def __repr__(self) -> str:
        return f"SpooledUpload({self.filename!r}, size={self.size}, on_disk={self.on_disk})"

    @property
    def on_disk(self) -> bool:
        """Whether the content has moved to a temporary file."""
        return self._file is not None

    def spills(self, more: int) -> bool:
        """Whether writing ``more`` bytes touches the disk (callers on an event loop write in a thread then)."""
        return self._file is not None or len(self._memory) + more > MEMORY_BYTES

    def write_all(self, parts: list[bytes | memoryview]) -> None:
        """Append each of ``parts``."""
        for data in parts:
            self.write(data)

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``, moving the content to a temporary file once it outgrows :data:`MEMORY_BYTES`."""
        self.size += len(data)
        if self._file is None:
            if len(self._memory) + len(data) <= MEMORY_BYTES:
                self._memory += data
                return
            self._file = tempfile.NamedTemporaryFile(prefix=_PREFIX, delete=False) if self._named else (
                tempfile.TemporaryFile(prefix=_PREFIX))
            self._file.write(self._memory)
            self._memory = bytearray()
        self._file.write(data)

    def chunks(self, size: int) -> Iterator[bytes]:
        """The content from its start, ``size`` bytes at a time (blocking reads once it is on disk)."""
        if self._file is None:
            for start in range(0, len(self._memory), size):
                yield bytes(self._memory[start : start + size])
            return
        self._file.flush()
        self._file.seek(0)
        while chunk := self._file.read(size):
            yield chunk

    def open_binary(self) -> IO[bytes]:
        """The content as a seekable binary stream at its start: the temporary file itself once on disk.

        The caller reads it and never closes it; :meth:`chunks` and this rewind it each time."""
        if self._file is None:
            return io.BytesIO(bytes(self._memory))
        self._file.flush()
        self._file.seek(0)
        return self._file

    def for_analysis(self) -> SqlFile | SqlFileOnDisk:
        """What an analysis process is given: the content itself while small, else the temporary file's path."""
        if self._file is None:
            return SqlFile(self.filename, bytes(self._memory))
        if not self._named:
            raise ValueError("an upload spooled without a name cannot be opened by another process")
        self._file.flush()
        return SqlFileOnDisk(self.filename, self._file.name)

    def close(self) -> None:
        """Drop the content and remove the temporary file. Safe to call twice."""
        self._memory = bytearray()
        if self._file is not None:
            path = self._file.name if self._named else None
            self._file.close()
            self._file = None
            if isinstance(path, str):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
