"""A big job analysed in batches across the analysis processes: the same lineage as one analysis, and turns for all."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sqlflow_magic.server import ServerConfig
from tests.support.server_api import Api, running_server, wait_for_final
from tests.support.users import BOB, BOB_SECRET

pytestmark = pytest.mark.server

#: Stars expanded from DDL that comes later, in another file; views, updates and result sets.
ETL = "\n".join(
    f"INSERT INTO dw.fact_{i % 7} SELECT * FROM stage.src_{i % 5};\n"
    f"CREATE VIEW rpt.v_{i} AS SELECT id, amount FROM dw.fact_{(i + 3) % 7} WHERE id > {i};\n"
    f"SELECT * FROM rpt.v_{i};\n"
    f"UPDATE dw.fact_{i % 7} f SET amount = s.amount FROM stage.src_{i % 5} s WHERE f.id = s.id;"
    for i in range(150)
).encode()
DDL = "\n".join(f"CREATE TABLE stage.src_{i} (id INT, amount INT, note TEXT);" for i in range(5)).encode()
#: Settings that cut the job above into about a dozen batches.
IN_BATCHES = {"parallel_analysis_from_bytes": 1, "parallel_batch_bytes": 5_000}


def lineage(api: Api, job_id: str) -> dict[str, Any]:
    answer = api.call("exportFullLineageAsJson", jobId=job_id)
    for volatile in ("jobId", "sessionId"):
        answer.pop(volatile, None)
    return answer


def analysed(config: ServerConfig, **settings: int) -> tuple[str, dict[str, Any]]:
    with running_server(dataclasses.replace(config, **settings)) as (_server, api):
        job_id = api.submit([("etl.sql", ETL), ("ddl.sql", DDL)], dbvendor="dbvpostgresql")["data"]["jobId"]
        return wait_for_final(api, job_id, timeout=120)["status"], lineage(api, job_id)


def test_a_job_in_batches_has_the_lineage_of_one_analysis(server_config: ServerConfig) -> None:
    one = analysed(server_config, parallel_analysis_from_bytes=0)
    assert one[0] == "success"
    assert analysed(server_config, **IN_BATCHES) == one


def test_another_users_job_is_analysed_while_a_big_job_is_in_batches(server_config: ServerConfig) -> None:
    config = dataclasses.replace(server_config, **IN_BATCHES)
    with running_server(config) as (_server, api):
        big = api.submit([("etl.sql", ETL * 2)], dbvendor="dbvpostgresql")["data"]["jobId"]
        bob = api.token(BOB, BOB_SECRET)
        small = api.submit([("one.sql", b"INSERT INTO t2 SELECT a FROM t1;")], user_id=BOB, token=bob,
                           dbvendor="dbvpostgresql")["data"]["jobId"]
        assert wait_for_final(api, small, timeout=120, user_id=BOB, token=bob)["status"] == "success"
        assert api.call("displayUserJobSummary", jobId=big)["data"]["status"] == "process"
        assert wait_for_final(api, big, timeout=120)["status"] == "success"
