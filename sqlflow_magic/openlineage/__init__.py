"""SQLFlow lineage as OpenLineage events, for catalogues (Marquez, DataHub, OpenMetadata, ...).

Plain client side: no IPython. Needs the optional ``openlineage-python`` client
(``pip install "sqlflow-magic[openlineage]"``), imported only when events are built. The mapping,
the dataset naming per vendor and the run ids are described in ``docs/openlineage.md``.

- :mod:`.events`: :func:`build_events` and :func:`events_to_json`, the public functions;
- :mod:`.texts`: :func:`statement_texts`, each statement's text for the ``sql`` facet;
- :mod:`.flows`: a job's lineage as statements with column flows between real data stores;
- :mod:`.naming`: dataset namespaces and names by OpenLineage's naming conventions;
- :mod:`.facets`: the facets, built with the client's models;
- :mod:`.ids`: run ids and event times that are the same at every export;
- :mod:`.errors`: the export's errors;
- :mod:`.jobs`: :func:`job_events`, a job's events fetched from any SQLFlow server with the plain client;
- :mod:`.emit`: :func:`emit_events`, sending events through ``openlineage-python``'s configured transport;
- :mod:`.reading`: events as JSON read back into the client's models, with what does not fit the spec;
- :mod:`.receiver`: a loopback stand-in for a catalogue's ``POST /api/v1/lineage`` (tests, tutorials).
"""

from __future__ import annotations

from .emit import EmitReport, OpenLineageEmitError, OpenLineageNotConfiguredError, emit_events
from .errors import NoLineageError, OpenLineageExportError, OpenLineageMissingError
from .events import PRODUCER, build_events, events_to_json
from .jobs import job_events
from .naming import NamingSettings
from .texts import statement_texts

__all__ = [
    "PRODUCER",
    "EmitReport",
    "NamingSettings",
    "NoLineageError",
    "OpenLineageEmitError",
    "OpenLineageExportError",
    "OpenLineageMissingError",
    "OpenLineageNotConfiguredError",
    "build_events",
    "emit_events",
    "events_to_json",
    "job_events",
    "statement_texts",
]
