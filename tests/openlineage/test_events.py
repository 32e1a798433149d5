"""OpenLineage events of a job's lineage: hand-written expectations, the client's models, ids, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone

import pytest
from openlineage.client.event_v2 import JobEvent, RunEvent
from openlineage.client.serde import Serde

from sqlflow_magic._version import __version__
from sqlflow_magic.openlineage import NamingSettings, NoLineageError, build_events, events_to_json, statement_texts
from tests.support.openlineage_events import (
    ROOT,
    answer_of,
    expected_jobs,
    expected_summary,
    naming_of,
    read_event,
    summary,
)

pytestmark = pytest.mark.unit

JOBS = [pytest.param(job, id=job["id"]) for job in expected_jobs()]
JOB_TIME = datetime(2024, 3, 11, 9, 42, 17, tzinfo=timezone.utc)


def _events(job: dict, **options) -> list:
    answer, _ = answer_of(job)
    return build_events(answer, job_id=f"job-{job['id']}", job_name=job["job_name"], db_vendor=job["vendor"],
                        naming=naming_of(job), **options)


def _fixture(name: str) -> dict:
    return json.loads((ROOT / "tests" / "replay" / "fixtures" / name).read_text(encoding="utf-8"))["answer"]


@pytest.mark.parametrize("job", JOBS)
def test_each_statement_has_the_expected_datasets_and_column_lineage(job):
    assert summary(events_to_json(_events(job))) == expected_summary(job)


@pytest.mark.parametrize("job", JOBS)
def test_the_job_has_the_expected_status(job):
    assert answer_of(job)[1] == job["status"]


@pytest.mark.parametrize("job", JOBS)
def test_every_event_round_trips_through_the_clients_models_and_serde(job):
    for data in events_to_json(_events(job)):
        assert Serde.to_dict(read_event(json.loads(json.dumps(data)))) == data


def test_statements_follow_the_job_in_the_answers_order_each_with_its_parent():
    job = next(j for j in expected_jobs() if j["id"] == "oracle_multi")
    events = events_to_json(_events(job))
    assert [e["job"]["name"] for e in events] == ["oracle_multi"] + [s["job"] for s in job["statements"]]
    assert events[0]["job"]["facets"]["jobType"]["jobType"] == "JOB"
    for event in events[1:]:
        parent = event["run"]["facets"]["parent"]
        assert (parent["run"]["runId"], parent["job"]["namespace"], parent["job"]["name"]) == (
            events[0]["run"]["runId"], "sqlflow", "oracle_multi")
        assert event["job"]["facets"]["jobType"] | {"_producer": "", "_schemaURL": ""} == {
            "_producer": "", "_schemaURL": "", "processingType": "BATCH", "integration": "SQLFLOW", "jobType": "QUERY"}
        assert event["eventType"] == "COMPLETE"


def test_exporting_twice_with_the_jobs_time_gives_identical_events_with_uuidv7_run_ids():
    job = expected_jobs()[0]
    first, second = (events_to_json(_events(job, event_time=JOB_TIME)) for _ in range(2))
    assert first == second
    assert {uuid.UUID(e["run"]["runId"]).version for e in first} == {7}
    assert {e["eventTime"] for e in first} == {"2024-03-11T09:42:17.000Z"}


def test_sqlflows_create_time_text_is_the_jobs_time_and_bad_text_a_one_line_error():
    job = expected_jobs()[0]
    assert events_to_json(_events(job, event_time="2024-03-11 09:42:17")) == events_to_json(
        _events(job, event_time=JOB_TIME))
    with pytest.raises(ValueError, match="event_time 'yesterday' is not a time: give a datetime or SQLFlow's"):
        _events(job, event_time="yesterday")


def test_exporting_twice_without_a_time_gives_the_same_run_ids():
    job = expected_jobs()[0]
    first, second = (events_to_json(_events(job)) for _ in range(2))
    assert [e["run"]["runId"] for e in first] == [e["run"]["runId"] for e in second]
    assert len({e["run"]["runId"] for e in first}) == len(first)


def test_another_sqlflow_job_gets_other_run_ids():
    job = expected_jobs()[0]
    answer, _ = answer_of(job)
    ids = [{e.run.runId for e in build_events(answer, job_id=job_id, job_name="same", db_vendor="oracle")}
           for job_id in ("a", "b")]
    assert ids[0].isdisjoint(ids[1])


def test_job_events_on_request_carry_the_same_jobs_and_datasets_without_a_run():
    job = expected_jobs()[0]
    events = _events(job, kind="job")
    assert all(isinstance(e, JobEvent) for e in events)
    assert summary(events_to_json(events)) == expected_summary(job)
    assert all("run" not in e for e in events_to_json(events))


def test_run_events_by_default():
    assert all(isinstance(e, RunEvent) for e in _events(expected_jobs()[0]))


def test_the_sql_facet_carries_the_statement_text_given_by_process_name_or_job_name():
    job = expected_jobs()[0]
    texts = {"Query Insert-1": "INSERT INTO dw.sales_by_region ...", "query_select_3": "SELECT region ..."}
    events = events_to_json(_events(job, statements=texts))
    assert [e["job"]["facets"].get("sql", {}).get("query") for e in events] == [
        None, "INSERT INTO dw.sales_by_region ...", None, "SELECT region ..."]


def test_the_schema_facet_lists_the_columns_the_lineage_knows():
    job = expected_jobs()[0]
    view = events_to_json(_events(job))[2]["outputs"][0]
    assert [f["name"] for f in view["facets"]["schema"]["fields"]] == ["region", "total"]


def test_every_event_and_facet_names_the_producer():
    events = events_to_json(_events(expected_jobs()[0], producer="https://example.com/my-scheduler"))
    text = json.dumps(events)
    assert {e["producer"] for e in events} == {"https://example.com/my-scheduler"}
    assert text.count('"_producer"') == text.count('"_producer": "https://example.com/my-scheduler"')


@pytest.mark.parametrize(("answer", "reason"), [
    (_fixture("error-401.json"), "SQLFlow answered code 401"),
    (_fixture("summary-mode.json"), "SQLFlow sent a summary"),
    ({"code": 200, "data": {"sqlflow": {"dbobjs": [], "relationships": []}}}, "holds no data flow"),
])
def test_a_job_without_lineage_is_a_one_line_error(answer, reason):
    with pytest.raises(NoLineageError) as caught:
        build_events(answer, job_id="j-1", job_name=None, db_vendor="dbvoracle")
    assert reason in str(caught.value)
    assert str(caught.value).startswith("job j-1 has no lineage to export")
    assert "\n" not in str(caught.value)


def test_a_write_only_job_has_no_lineage_to_export():
    job = {"id": "ddl", "vendor": "dbvpostgresql", "sql": ["CREATE TABLE t (a INT);", "INSERT INTO t VALUES (1);"]}
    answer, _ = answer_of(job)
    with pytest.raises(NoLineageError, match="holds no data flow"):
        build_events(answer, job_id="j-2", job_name="ddl", db_vendor="dbvpostgresql")


def test_a_bad_kind_is_a_one_line_error():
    with pytest.raises(ValueError, match="kind must be 'run' or 'job'"):
        build_events({}, job_id="j", job_name=None, db_vendor="dbvoracle", kind="dataset")  # type: ignore[arg-type]


def test_without_the_client_the_error_names_the_extra_to_install():
    # the client hidden from the import system of a child process: the only way to be without it here
    code = ("import sys; sys.modules['openlineage'] = None\n"
            "from sqlflow_magic.openlineage import build_events\n"
            "try:\n    build_events({}, job_id='j', job_name=None, db_vendor='dbvoracle')\n"
            "except ImportError as error:\n    print(type(error).__name__, error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ("OpenLineageMissingError OpenLineage export needs the openlineage-python client: "
                                   'pip install "sqlflow-magic[openlineage]"')


def test_the_job_name_defaults_to_the_job_id_and_the_namespace_to_the_setting():
    job = expected_jobs()[0]
    answer, _ = answer_of(job)
    events = events_to_json(build_events(answer, job_id="5f0c2b7e", job_name=None, db_vendor="oracle",
                                         naming=NamingSettings(job_namespace="notebooks")))
    assert events[0]["job"] == {"namespace": "notebooks", "name": "5f0c2b7e", "facets": events[0]["job"]["facets"]}
    assert events[1]["job"]["name"] == "5f0c2b7e.query_insert_1"


def test_statement_texts_are_cut_from_the_cells_sql_by_the_processes_coordinates():
    job = next(j for j in expected_jobs() if j["id"] == "oracle_multi")
    answer, _ = answer_of(job)
    sql = "\n".join(job["sql"])
    events = events_to_json(_events(job, statements=statement_texts(answer, sql)))
    assert [e["job"]["facets"].get("sql", {}).get("query") for e in events] == [
        None, "\n".join(job["sql"][:5]).rstrip(";"), job["sql"][5].rstrip(";"), job["sql"][6].rstrip(";")]


def test_statement_texts_of_a_real_sqlflow_answer_come_from_its_processes_list():
    fixture = json.loads((ROOT / "tests" / "replay" / "fixtures" / "gen3-job-lineage.json").read_text("utf-8"))
    sql = fixture["sql"].split("\n", 1)[1]  # the fixture's SQL follows a "dbvoracle:" line
    texts = statement_texts(fixture["answer"], sql)
    assert sorted(texts.values()) == [
        "CREATE VIEW heavy_shipments AS\nSELECT shipment_id, weight_kg\nFROM   shipment_facts\n"
        "WHERE  weight_kg > 1000;",
        "INSERT INTO shipment_facts (shipment_id, carrier_id, weight_kg)\nSELECT shipment_id, carrier_id, weight_kg\n"
        "FROM   stage.shipments_raw\nWHERE  state = 'DELIVERED';"]


def test_an_answer_without_processes_gives_one_statement_per_written_store_in_the_answers_order():
    job = next(j for j in expected_jobs() if j["id"] == "sqlflow_2021_answer")
    assert [e["job"]["name"] for e in events_to_json(_events(job))] == [
        "nightly_sales", "nightly_sales.sales_vordertotals", "nightly_sales.reporting_dailyrevenue",
        "nightly_sales.rs_2"]


def test_credentials_written_in_a_statement_never_reach_the_sql_facet():
    job = next(j for j in expected_jobs() if j["id"] == "redshift_paths")
    copy = ("COPY staging.events FROM 's3://raw-bucket/events/2024/' "
            "CREDENTIALS 'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCY';")
    events = events_to_json(_events(job, statements={"query_copy_1": copy}))
    assert "wJalrXUtnFEMIK7MDENGbPxRfiCY" not in json.dumps(events)
    assert events[1]["job"]["facets"]["sql"]["query"].startswith("COPY staging.events FROM 's3://raw-bucket/")


def test_the_default_producer_is_this_package_at_its_version():
    events = events_to_json(_events(expected_jobs()[0]))
    assert {e["producer"] for e in events} == {f"https://github.com/sqlflow-magic/sqlflow-magic/tree/{__version__}"}
