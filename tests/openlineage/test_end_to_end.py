"""End to end: the hand-written jobs of ``tests/openlineage/expectations.json`` submitted to the embedded
server, their events built from its answers with the plain client (``job_events``), sent over HTTP through
the OpenLineage library's own transport to the loopback receiver, read back there with the library's models,
and compared with the expectations; a job sent twice duplicates nothing a catalogue keeps."""

from __future__ import annotations

import pytest

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.models import SubmitRequest, UploadFile
from sqlflow_magic.client.settings import ClientSettings
from sqlflow_magic.client.waiting import wait_for_job
from sqlflow_magic.openlineage import emit_events, job_events
from sqlflow_magic.server import EmbeddedServer, ServerConfig
from tests.support.openlineage_events import expected_jobs, expected_summary, naming_of, summary
from tests.support.openlineage_receiver import LineageReceiver, http_client, isolated_openlineage_env

pytestmark = pytest.mark.server
API_KEY = "ol-e2e-key-Juniper-3390"
#: The expectations' jobs written as SQL (the others are saved answers of real SQLFlow servers).
SQL_JOBS = [job for job in expected_jobs() if "sql" in job]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One embedded server with every job submitted and finished, and one receiver."""
    folder = tmp_path_factory.mktemp("openlineage-e2e")
    with isolated_openlineage_env(folder), LineageReceiver(api_key=API_KEY) as receiver:
        server = EmbeddedServer(ServerConfig(db_path=folder / "jobs.sqlite3")).start()
        try:
            with SQLFlowClient(ClientSettings(server.url)) as client:
                submitted = {job["id"]: client.submit_persist_job(SubmitRequest(
                    job["vendor"], (UploadFile.from_text("\n".join(job["sql"]) + "\n", f"{job['id']}.sql"),),
                    job_name=job["job_name"])).job_id for job in SQL_JOBS}
                finished = {name: wait_for_job(job_id, lambda j=job_id: client.job_summary(j), max_wait=120)
                            for name, job_id in submitted.items()}
                yield client, receiver, finished
        finally:
            server.stop()


def sent(world, job, **options):
    """The job's events built from the server's answer and sent to the receiver: what the receiver stored."""
    client, receiver, finished = world
    receiver.clear()
    events = job_events(client, finished[job["id"]].job_id, naming=naming_of(job), **options)
    report = emit_events(events, client=http_client(receiver.url, api_key=API_KEY))
    assert report.sent == len(events) == len(receiver.events)
    return receiver.events


@pytest.mark.parametrize("job", [pytest.param(job, id=job["id"]) for job in SQL_JOBS])
def test_each_job_arrives_with_the_expected_datasets_and_column_lineage(world, job):
    received = sent(world, job)
    assert world[2][job["id"]].status == job["status"]
    assert summary([r.data for r in received]) == expected_summary(job)


@pytest.mark.parametrize("job", [pytest.param(job, id=job["id"]) for job in SQL_JOBS])
def test_each_event_is_read_back_into_the_clients_models_without_warnings(world, job):
    received = sent(world, job)
    assert [type(r.event).__name__ for r in received] == ["RunEvent"] * len(received)
    assert [w for r in received for w in r.warnings] == []


def test_a_multi_statement_job_has_one_job_per_statement_each_under_the_jobs_run(world):
    job = next(j for j in SQL_JOBS if j["id"] == "oracle_multi")
    first, *statements = sent(world, job)
    assert [r.event.job.name for r in statements] == [s["job"] for s in job["statements"]]
    assert {(r.event.run.facets["parent"].run.runId, r.event.run.facets["parent"].job.name) for r in statements} == {
        (first.event.run.runId, "oracle_multi")}


def test_a_partial_success_job_sends_the_statements_that_were_analysed(world):
    job = next(j for j in SQL_JOBS if j["status"] == "partial_success")
    received = sent(world, job)
    assert world[2][job["id"]].status == "partial_success"
    assert [r.event.job.name for r in received[1:]] == [s["job"] for s in job["statements"]]


def test_a_job_sent_twice_adds_no_run_job_or_dataset_only_log_entries(world):
    client, receiver, finished = world
    job = next(j for j in SQL_JOBS if j["id"] == "oracle_multi")
    events = job_events(client, finished[job["id"]].job_id, naming=naming_of(job))
    transport = http_client(receiver.url, api_key=API_KEY)
    receiver.clear()
    emit_events(events, client=transport)
    once = (receiver.runs(), receiver.jobs(), receiver.datasets(), [r.data for r in receiver.events])
    emit_events(job_events(client, finished[job["id"]].job_id, naming=naming_of(job)), client=transport)
    assert (receiver.jobs(), receiver.datasets()) == (once[1], once[2])
    assert list(receiver.runs()) == list(once[0]) and len(receiver.events) == 2 * len(once[3])
    assert [r.data for r in receiver.events[len(once[3]):]] == once[3]  # the very same events: same ids and times


def test_static_job_events_arrive_with_the_same_datasets_and_column_lineage(world):
    job = next(j for j in SQL_JOBS if j["id"] == "oracle_multi")
    received = sent(world, job, kind="job")
    assert {type(r.event).__name__ for r in received} == {"JobEvent"}
    assert [w for r in received for w in r.warnings] == []
    assert summary([r.data for r in received]) == expected_summary(job)
