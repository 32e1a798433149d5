"""The 48 zips of issue 17 against ``sqlflow-magic serve`` with its default limits, sent by the tokenless user.

They expand to 2.93 GiB of SQL, which an analysis process used to hold at once (3.5 GiB of memory,
then killed at the time limit). Now the request is refused before anything is stored or inflated,
and the server's own memory grows by no more than the upload's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from sqlflow_magic.protocol import ON_PREMISE_TOKEN, ON_PREMISE_USER_ID
from tests.support.hostile_files import zips_like_issue_17
from tests.support.serve_process import start_serve, wait_until_serving

pytestmark = pytest.mark.server
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads memory figures from /proc")

MIB = 1024 * 1024
ON_PREMISE = {"userId": ON_PREMISE_USER_ID, "token": ON_PREMISE_TOKEN}


def peak_memory(pid: int) -> int:
    """The peak resident memory of process ``pid`` so far, in bytes (``VmHWM``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM for process {pid}")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the server's analysis processes)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@linux_only
@pytest.mark.parametrize(
    ("within_ratio", "named"),
    [(False, "compression ratio above 100:1"), (True, "max_request_sql_bytes")],
    ids=["as sent in issue 17", "members within the ratio limit"],
)
def test_the_48_zips_of_issue_17_are_refused_at_the_door_under_the_default_limits(
    tmp_path: Path, within_ratio: bool, named: str
) -> None:
    parts = zips_like_issue_17(within_ratio=within_ratio)
    payload = sum(len(content) for _name, content in parts)
    process, url = start_serve(tmp_path)
    try:
        wait_until_serving(process, url)
        before = peak_memory(process.pid)
        files = [("sqlfiles", (name, content, "application/zip")) for name, content in parts]
        fields = {**ON_PREMISE, "dbvendor": "dbvoracle"}
        response = httpx.post(f"{url}/sqlflow/job/submitPersistJob", data=fields, files=files, timeout=120)
        answer = response.json()
        assert (response.status_code, answer["code"]) == (413, 413), answer
        assert named in answer["error"] and "\n" not in answer["error"], answer
        grown = peak_memory(process.pid) - before
        assert grown < 2 * payload + 64 * MIB, f"the server grew by {grown / MIB:.0f} MiB for {payload / MIB:.0f} MiB"
        jobs = httpx.post(f"{url}/sqlflow/job/displayUserJobsSummary", data=ON_PREMISE, timeout=30).json()
        assert jobs["data"]["total"] == 0  # nothing was stored
        analysing = {pid: peak_memory(pid) for pid in children_of(process.pid)}
        assert all(peak < 256 * MIB for peak in analysing.values()), analysing
    finally:
        process.terminate()
        process.communicate(timeout=10)
