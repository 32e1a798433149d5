"""What the local server's exports show and how they are written, from a job's complete lineage JSON.

The engine (:mod:`sqlflow_magic.server.lineage`, run in the analysis processes) writes a job's
complete lineage once; this package, which never imports the engine, serves every export from it:
:mod:`.views` applies SQLFlow's display settings, :mod:`.layout` draws ``data.graph`` and
:mod:`.formats` writes the JSON answers, CSV and GraphML.
"""

from __future__ import annotations

from sqlflow_magic.server.exports.formats import (
    CSV_HEADER,
    FORMS,
    csv_text,
    generation_answer,
    graphml_text,
    job_answer,
    json_bytes,
    render,
    render_generation,
    render_stored,
    view_kind,
)
from sqlflow_magic.server.exports.views import ViewError, ViewOptions, apply_view, summary

__all__ = [
    "CSV_HEADER",
    "FORMS",
    "ViewError",
    "ViewOptions",
    "apply_view",
    "csv_text",
    "generation_answer",
    "graphml_text",
    "job_answer",
    "json_bytes",
    "render",
    "render_generation",
    "render_stored",
    "summary",
    "view_kind",
]
