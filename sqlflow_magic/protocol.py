"""SQLFlow's vocabulary, written once for the client and the local server alike.

The client reads these words in a server's answers and the local server writes them; neither
spells them anywhere else. Nothing here imports the client, the server or IPython.

- :class:`JobStatus`, with :data:`FINAL_STATUSES` (a job that will not change by itself) and
  :data:`LINEAGE_STATUSES` (a job whose lineage can be exported).
- :data:`ON_PREMISE_USER_ID` and :data:`ON_PREMISE_TOKEN`: the user of an on-premise SQLFlow 5.x,
  which needs no secret key, and the placeholder it sends in place of a token.
- :func:`is_job_id`: SQLFlow's job ids are 32 lowercase hex characters.
- :func:`cron_problem`: what is wrong with a job's ``cronExpression``, if anything.
- :func:`error_entry`: one entry of a job's ``errors`` list.
- :data:`RELATION_TYPES` and :data:`EFFECT_TYPES`: the ``type`` and ``effectType`` of a relationship.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any


class JobStatus(str, Enum):
    """The ``status`` of a SQLFlow job: ``create`` (queued), ``process`` (analysed now), then a final one."""

    CREATE = "create"
    PROCESS = "process"
    SUCCESS = "success"
    PARTIAL_SUCCESS = "partial_success"
    FAIL = "fail"
    DELETE = "delete"

    def __str__(self) -> str:  # the wire word, on every Python (3.12 changed how mixed-in enums format)
        return self.value

    @property
    def label(self) -> str:
        """The status in words for people: ``partial success``, ``failed``..."""
        return _LABELS[self]


_LABELS = {JobStatus.CREATE: "created", JobStatus.PROCESS: "running", JobStatus.SUCCESS: "success",
           JobStatus.PARTIAL_SUCCESS: "partial success", JobStatus.FAIL: "failed", JobStatus.DELETE: "deleted"}

#: Statuses a job keeps until it is submitted again (``delete`` included: nothing more will happen).
FINAL_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS, JobStatus.FAIL, JobStatus.DELETE})
#: Statuses of an analysed job (a deleted one excluded).
ANALYSED_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS, JobStatus.FAIL})
#: Statuses of a job whose lineage can be exported (a partial one has the lineage of what was read).
LINEAGE_STATUSES = frozenset({JobStatus.SUCCESS, JobStatus.PARTIAL_SUCCESS})

#: The user of an on-premise SQLFlow 5.x: it has no secret key and needs no token.
ON_PREMISE_USER_ID = "gudu|0123456789"
#: What the on-premise user sends as its ``token``: a placeholder, not a secret.
ON_PREMISE_TOKEN = "token"

_JOB_ID = re.compile(r"[0-9a-f]{32}")


def is_job_id(text: str) -> bool:
    """Whether ``text`` is a SQLFlow job id: 32 lowercase hexadecimal characters."""
    return _JOB_ID.fullmatch(text) is not None


#: SQLFlow's relationship types: ``fdd`` (values flow), ``fdr``/``frd``/``fddi`` (indirect), ``join``, ``call``, ``er``.
RELATION_TYPES = ("fdd", "fdr", "frd", "fddi", "join", "call", "er")
#: The relationship types that are data flow, direct (``fdd``) or indirect.
FLOW_TYPES = ("fdd", "fdr", "frd", "fddi")
#: The ``effectType`` of a relationship: the kind of statement that made it (SQLFlow sends others too).
EFFECT_TYPES = ("select", "insert", "update", "delete", "merge", "merge_insert", "merge_update", "create_table",
                "create_view", "like_table", "rename_table")

#: The five fields of a cron expression and their ranges.
CRON_FIELDS = (("minute", "0-59"), ("hour", "0-23"), ("day of month", "1-31"), ("month", "1-12 or JAN-DEC"),
               ("day of week", "0-7 or SUN-SAT"))


def cron_problem(expression: str) -> str | None:
    """What is wrong with a five-field cron expression (``0 1 * * *``), or None if it is valid.

    A bad field is named with its range, so that the message says the fix.
    """
    from croniter import croniter  # imported here: only a few submits carry a schedule

    fields = expression.split()
    if len(fields) != 5:
        return f"it has {len(fields)} fields; a cron expression has five (minute hour day month weekday)"
    if croniter.is_valid(" ".join(fields)):
        return None
    for position, (name, allowed) in enumerate(CRON_FIELDS):
        alone = ["*"] * 5
        alone[position] = fields[position]
        if not croniter.is_valid(" ".join(alone)):
            return f"the {name} field {fields[position]!r} is out of range or not a number ({name}: {allowed})"
    return "it is not a valid cron expression"


def error_entry(message: str, error_type: str, *, file_name: str = "", coordinates: list[Any] | None = None,
                **extra: Any) -> dict[str, Any]:
    """One entry of a job's ``errors``: ``errorMessage``, ``errorType``, ``coordinates`` and ``fileName``."""
    entry: dict[str, Any] = {"errorMessage": message, "errorType": error_type, "coordinates": coordinates or []}
    if file_name:
        entry["fileName"] = file_name
    entry.update(extra)
    return entry
