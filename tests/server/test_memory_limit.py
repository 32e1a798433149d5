"""The memory limit of analysis processes (``analysis_memory_limit_mb``), for real: ``RLIMIT_AS`` in the process.

An analysis that allocates past it ends its job (or its request) with an error naming the setting; its
process is replaced; the server keeps answering and the next analysis succeeds (issue 17, break 3).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import sys
from collections.abc import Iterator

import pytest

from sqlflow_magic.server import ServerConfig
from sqlflow_magic.server.analysis import warm_up
from sqlflow_magic.server.pool import AnalysisOutOfMemory, AnalysisPool, RemoteTraceback
from tests.support import analysis_helpers
from tests.support.hostile_files import compressible_sql, many_member_zip
from tests.support.server_api import FIRST, Api, running_server, wait_for_final
from tests.support.users import ALICE

pytestmark = pytest.mark.server
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")

MIB = 1024 * 1024
LIMIT_MB = 256  # the smallest limit allowed; an idle analysis process maps about 115 MiB
GENERATION = "/gspLive_backend/sqlflow/generation/sqlflow"


@pytest.fixture(scope="module")
def sql_past_the_limit() -> list[tuple[str, bytes]]:
    """Four zips of 60 MiB of SQL each (0.7 MiB uploaded each): expanding them needs far more than 256 MiB."""
    archive = many_member_zip(compressible_sql(60 * MIB), 1)
    return [(f"part{number}.zip", archive) for number in range(4)]


@pytest.fixture
def limited_api(server_config: ServerConfig) -> Iterator[Api]:
    budgets = {"max_request_sql_bytes": 1024 * MIB, "max_job_sql_bytes": 1024 * MIB}  # only the memory limit stops it
    config = dataclasses.replace(server_config, analysis_memory_limit_mb=LIMIT_MB, analysis_processes=2, **budgets)
    with running_server(config) as (_server, client):
        yield client


@linux_only
def test_a_task_past_the_memory_limit_fails_and_its_process_is_replaced() -> None:
    async def scenario() -> None:
        pool = AnalysisPool(1, initializer=functools.partial(warm_up, LIMIT_MB))
        pool.start()
        try:
            first = await pool.run(os.getpid, limit=60)
            with pytest.raises(AnalysisOutOfMemory) as refused:
                await pool.run(analysis_helpers.allocate, 2 * LIMIT_MB, limit=60)
            cause = refused.value.__cause__
            assert isinstance(cause, RemoteTraceback) and "MemoryError" in str(cause)
            assert await pool.run(os.getpid, limit=60) != first  # a new process took its place
            assert await pool.run(analysis_helpers.allocate, 32, limit=60) == 32  # and it works
        finally:
            await pool.close()

    asyncio.run(scenario())


@linux_only
def test_a_job_past_the_memory_limit_fails_naming_the_setting_and_the_next_job_succeeds(
    limited_api: Api, sql_past_the_limit: list[tuple[str, bytes]]
) -> None:
    token = limited_api.token()
    job_id = limited_api.submit(sql_past_the_limit, token=token)["data"]["jobId"]
    summary = wait_for_final(limited_api, job_id, timeout=60, token=token)  # the server answers all along
    assert summary["status"] == "fail"
    assert f"memory limit of {LIMIT_MB} MiB (analysis_memory_limit_mb)" in summary["errorMessage"]
    assert [error["errorType"] for error in summary["errors"]] == ["MemoryLimitExceeded"]
    next_job = limited_api.submit([("next.sql", FIRST)], token=token)["data"]["jobId"]
    assert wait_for_final(limited_api, next_job, timeout=60, token=token)["status"] == "success"


@linux_only
def test_a_generation_request_past_the_memory_limit_is_refused_and_the_next_one_is_answered(
    limited_api: Api, sql_past_the_limit: list[tuple[str, bytes]]
) -> None:
    fields = {"userId": ALICE, "token": limited_api.token(), "dbvendor": "dbvoracle"}
    parts = [("sqlfile", (name, content, "application/zip")) for name, content in sql_past_the_limit]
    answer = limited_api.client.post(GENERATION, data=fields, files=parts, timeout=60).json()
    assert answer["code"] == 413 and "analysis_memory_limit_mb" in answer["error"], answer
    small = limited_api.client.post(GENERATION, data={**fields, "sqltext": FIRST.decode()}, timeout=60).json()
    assert small["code"] == 200, small
