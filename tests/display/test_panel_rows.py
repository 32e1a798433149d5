"""What a finished job's panel says, and where its note sends the reader."""

from __future__ import annotations

import pytest

from sqlflow_magic.client.models import Job
from sqlflow_magic.display.render import ServerInfo, job_rows
from sqlflow_magic.magic.following import _final_note

pytestmark = pytest.mark.unit

SERVER = ServerInfo("http://127.0.0.1:5/gspLive_backend", embedded=True)
PROBLEM = {"errorMessage": "Syntax error near 'fro'", "fileName": "cell.sql", "coordinates": [{"x": 2, "y": 7}]}


def partial_job(error_message: str) -> Job:
    return Job.from_api({"jobId": "a" * 32, "status": "partial_success", "errorMessage": error_message,
                         "errors": [PROBLEM], "executeTime": "0min 1sec"})


def test_the_note_of_a_partial_job_points_to_the_row_the_panel_shows():
    said_by_error = partial_job("1 problem(s) in the SQL: cell.sql line 2, column 7: Syntax error near 'fro'")
    assert "Problems" not in dict(job_rows(said_by_error, SERVER))
    assert _final_note(said_by_error).endswith("(see Error).")
    said_apart = partial_job("some SQL was not analysed")
    assert "Problems" in dict(job_rows(said_apart, SERVER))
    assert _final_note(said_apart).endswith("(see Problems).")
