"""schemathesis sends every operation of ``docs/openapi.yaml`` to a running ``sqlflow-magic serve``: positive
cases (fields as documented), negative ones (fields missing, of another type, out of range, unknown fields,
other methods) and its coverage cases (each field's boundaries), as Alice and as anyone.

Every answer must come within ``REQUEST_TIMEOUT``, be what the description says (status, content type, JSON
schema), never be a server error, and every error must be ``{"code": <int>, "error": "<one line>"}``; the
server must stay up with no exception in its output.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from tests.fuzz.conftest import Served
from tests.support.fuzzing import REQUEST_TIMEOUT, answer_problem, fuzz_settings
from tests.support.server_api import FIRST, SECOND, Api, wait_for_final
from tests.support.users import ALICE, ALICE_SECRET

pytestmark = pytest.mark.fuzz

DESCRIPTION = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
#: The checks every answer goes through: schemathesis' own (these four), then ``documented_answer`` below.
#: Its data checks (negative_data_rejection, ...) expect HTTP 4xx, where SQLFlow answers errors with 200.
CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
}
GENERATION = {"mode": "all", "allow-x00": True, "database": "none"}
AS_ALICE = schemathesis.openapi.from_path(
    DESCRIPTION, config=schemathesis.Config.from_dict({"checks": CHECKS, "generation": GENERATION}))
#: Without a valid token every call stops at the credentials: no coverage phase, a few examples.
AS_ANYONE = schemathesis.openapi.from_path(DESCRIPTION, config=schemathesis.Config.from_dict(
    {"checks": CHECKS, "generation": GENERATION, "phases": {"coverage": {"enabled": False}}}))

#: A job with tables, a view, schemas and two statements, so that the exports' options change something.
LINEAGE_SQL = FIRST + SECOND + b"create view rpt.v_t2 as select a, b from t2 where b > 0;\n"
JOB_ID = re.compile(r"[0-9a-f]{32}")


def documented_answer(_ctx: Any, response: schemathesis.Response, _case: schemathesis.Case) -> None:
    """A check: every error is the documented shape, and no answer is a server error (see ``answer_problem``)."""
    problem = answer_problem(response.status_code, response.headers.get("content-type", [""])[0], response.content)
    assert problem is None, problem


class AlicesJobs:
    """Alice's token and real jobs of hers, put into generated bodies so that the routes go past their first
    checks: a finished job for the summaries and exports, one that submits add files to, a new one per delete."""

    def __init__(self, served: Served) -> None:
        self.api = Api(served.url.removesuffix("/gspLive_backend"))
        self.token = served.token
        self.finished = self._new_job()
        wait_for_final(self.api, self.finished, token=self.token)
        self.growing = self._new_job()

    def _new_job(self) -> str:
        job_id: str = self.api.submit([("lineage.sql", LINEAGE_SQL)], token=self.token)["data"]["jobId"]
        return job_id

    def fill_in(self, case: schemathesis.Case) -> None:
        """Alice's userId, token and key in a body that names a user; a real job for a well-formed jobId."""
        if not isinstance(case.body, dict) or "userId" not in case.body:
            return
        body = {**case.body, "userId": ALICE, "token": self.token}
        if "secretKey" in body:  # /user/generateToken
            body["secretKey"] = ALICE_SECRET
        if isinstance(body.get("jobId"), str) and JOB_ID.fullmatch(body["jobId"]):
            if case.path.endswith("/deleteUserJob"):
                body["jobId"] = self._new_job()
            else:
                body["jobId"] = self.growing if "/submit" in case.path else self.finished
        case.body = body


@pytest.fixture(scope="module")
def alices_jobs(served: Served) -> AlicesJobs:
    return AlicesJobs(served)


@AS_ALICE.parametrize()
@fuzz_settings(40)
def test_every_operation_as_alice(case: schemathesis.Case, served: Served, alices_jobs: AlicesJobs) -> None:
    alices_jobs.fill_in(case)
    response = case.call(base_url=served.url, timeout=REQUEST_TIMEOUT)
    case.validate_response(response, additional_checks=[documented_answer])
    trouble = served.trouble()
    assert trouble is None, trouble


@AS_ANYONE.parametrize()
@fuzz_settings(6)
def test_every_operation_as_anyone(case: schemathesis.Case, served: Served) -> None:
    response = case.call(base_url=served.url.replace("/gspLive_backend", "/api/gspLive_backend"),
                         timeout=REQUEST_TIMEOUT)
    case.validate_response(response, additional_checks=[documented_answer])
    trouble = served.trouble()
    assert trouble is None, trouble
