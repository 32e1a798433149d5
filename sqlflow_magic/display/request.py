"""What ``--dry-run`` shows: the request that would be sent, every secret masked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..client.models import UploadFile
from .render import table_html, table_text


@dataclass(frozen=True)
class RequestPreview:
    """A POST that was not sent: URL, form fields (already masked) and the files' names and sizes."""

    url: str
    fields: dict[str, str]
    files: Sequence[UploadFile]
    server_note: str = ""

    def _rows(self) -> list[list[str]]:
        rows = [[name, value] for name, value in self.fields.items()]
        rows += [["sqlfiles", f"{f.filename} ({f.size:,} bytes)"] for f in self.files]
        return rows

    def _title(self) -> str:
        on = f" (to {self.server_note})" if self.server_note else ""
        return f"Dry run, nothing sent{on}: POST {self.url}"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/plain": table_text(self._title(), ["field", "value"], self._rows()),
                "text/html": table_html(self._title(), ["field", "value"], self._rows())}

    def __repr__(self) -> str:
        return table_text(self._title(), ["field", "value"], self._rows())
