"""The errors of the OpenLineage export: each says in one line what is wrong and what to do."""

from __future__ import annotations

INSTALL_HINT = 'pip install "sqlflow-magic[openlineage]"'


class OpenLineageExportError(ValueError):
    """Base class: the lineage cannot be turned into OpenLineage events."""


class NoLineageError(OpenLineageExportError):
    """The job's answer holds no data flow (an error answer, a summary, or no relationships)."""


class OpenLineageMissingError(ImportError):
    """The optional ``openlineage-python`` client is not installed."""

    def __init__(self) -> None:
        super().__init__(f"OpenLineage export needs the openlineage-python client: {INSTALL_HINT}")
