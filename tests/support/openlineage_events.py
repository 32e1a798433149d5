"""OpenLineage events read back with ``openlineage-python``'s own models, and summed up as the expectations are.

``tests/openlineage/expectations.json`` holds hand-written jobs (SQL, or a saved answer of a real SQLFlow
server) with, per statement, the datasets and column lineage its event must carry. :func:`read_event`
rebuilds an event from its JSON with the client's models (the client has a serializer, ``Serde``, and no
reader); :func:`summary` reduces events to the expectations' form, so that a test that emits the events
over HTTP can compare what a receiver stored with the same file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlflow_magic.openlineage import NamingSettings

ROOT = Path(__file__).resolve().parents[2]
EXPECTATIONS = ROOT / "tests" / "openlineage" / "expectations.json"


def expected_jobs() -> list[dict[str, Any]]:
    return json.loads(EXPECTATIONS.read_text(encoding="utf-8"))["jobs"]


def naming_of(job: dict[str, Any]) -> NamingSettings:
    return NamingSettings(**job["naming"])


def saved_answer(job: dict[str, Any]) -> dict[str, Any]:
    """The saved answer of a real SQLFlow server that a job names (``"answer"``: a replay fixture)."""
    return json.loads((ROOT / job["answer"]).read_text(encoding="utf-8"))["answer"]


def answer_of(job: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A job's lineage answer and its status: the engine's, in process, for SQL; else the saved answer, whose
    code says it (203: a partial success)."""
    if "answer" in job:
        answer = saved_answer(job)
        return answer, {200: "success", 203: "partial_success"}.get(answer.get("code"), "failed")
    from sqlflow_magic.server.lineage import SqlSource, analyze, to_sqlflow_json

    result = analyze([SqlSource(f"{job['id']}.sql", "\n".join(job["sql"]))], job["vendor"])
    return to_sqlflow_json(result), result.status


def read_event(data: dict[str, Any]) -> Any:
    """A ``RunEvent`` or ``JobEvent`` rebuilt from its JSON with the client's models (unknown facets fail)."""
    from openlineage.client.event_v2 import InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunState

    job = Job(namespace=data["job"]["namespace"], name=data["job"]["name"],
              facets={key: _job_facet(key, value) for key, value in data["job"].get("facets", {}).items()})
    inputs = [InputDataset(namespace=d["namespace"], name=d["name"], facets=_dataset_facets(d),
                           inputFacets=d.get("inputFacets", {})) for d in data.get("inputs", [])]
    outputs = [OutputDataset(namespace=d["namespace"], name=d["name"], facets=_dataset_facets(d),
                             outputFacets=d.get("outputFacets", {})) for d in data.get("outputs", [])]
    if "run" not in data:
        return JobEvent(eventTime=data["eventTime"], producer=data["producer"], job=job, inputs=inputs, outputs=outputs)
    run = Run(runId=data["run"]["runId"],
              facets={key: _run_facet(key, value) for key, value in data["run"].get("facets", {}).items()})
    return RunEvent(eventType=RunState(data["eventType"]), eventTime=data["eventTime"], producer=data["producer"],
                    run=run, job=job, inputs=inputs, outputs=outputs)


def summary(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per statement job (every event but the SQLFlow job's own): its datasets and column lineage, as in
    the expectations (``namespace/name`` URIs, ``uri:field`` inputs, ``TYPE/SUBTYPE`` transformations)."""
    found: dict[str, dict[str, Any]] = {}
    for event in events[1:]:
        entry: dict[str, Any] = {"inputs": sorted(_uri(d) for d in event.get("inputs", [])),
                                 "outputs": sorted(_uri(d) for d in event.get("outputs", []))}
        for output in event.get("outputs", []):
            lineage = output.get("facets", {}).get("columnLineage")
            if not lineage:
                continue
            entry.setdefault("columns", {})[_uri(output)] = {
                column: _inputs(fields["inputFields"]) for column, fields in lineage["fields"].items()}
            if lineage.get("dataset"):
                entry.setdefault("dataset", {})[_uri(output)] = _inputs(lineage["dataset"])
        found[event["job"]["name"]] = entry
    return found


def expected_summary(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The expectations of a job in :func:`summary`'s form (lists sorted)."""
    expected = {}
    for statement in job["statements"]:
        entry: dict[str, Any] = {"inputs": sorted(statement["inputs"]), "outputs": sorted(statement["outputs"])}
        for key in ("columns", "dataset"):
            if key in statement:
                entry[key] = _sorted_lists(statement[key])
        expected[statement["job"]] = entry
    return expected


def _uri(dataset: dict[str, Any]) -> str:
    return f"{dataset['namespace']}/{dataset['name']}"


def _inputs(input_fields: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {f"{field['namespace']}/{field['name']}:{field['field']}": sorted(
        "/".join(part for part in (t["type"], t.get("subtype")) if part) for t in field.get("transformations", []))
        for field in input_fields}


def _sorted_lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_lists(item) for key, item in value.items()}
    return sorted(value) if isinstance(value, list) else value


def _producer(facet: dict[str, Any]) -> str:
    return str(facet["_producer"])


def _job_facet(key: str, facet: dict[str, Any]) -> Any:
    from openlineage.client.facet_v2 import job_type_job, sql_job

    if key == "jobType":
        return job_type_job.JobTypeJobFacet(processingType=facet["processingType"], integration=facet["integration"],
                                            jobType=facet.get("jobType"), producer=_producer(facet))
    if key == "sql":
        return sql_job.SQLJobFacet(query=facet["query"], dialect=facet.get("dialect"), producer=_producer(facet))
    raise AssertionError(f"unexpected job facet {key!r}")


def _run_facet(key: str, facet: dict[str, Any]) -> Any:
    from openlineage.client.facet_v2 import parent_run

    if key == "parent":
        return parent_run.ParentRunFacet(run=parent_run.Run(runId=facet["run"]["runId"]),
                                         job=parent_run.Job(namespace=facet["job"]["namespace"],
                                                            name=facet["job"]["name"]),
                                         producer=_producer(facet))
    raise AssertionError(f"unexpected run facet {key!r}")


def _dataset_facets(dataset: dict[str, Any]) -> dict[str, Any]:
    from openlineage.client.facet_v2 import column_lineage_dataset as cl
    from openlineage.client.facet_v2 import schema_dataset

    facets: dict[str, Any] = {}
    for key, facet in dataset.get("facets", {}).items():
        if key == "schema":
            facets[key] = schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name=f["name"], type=f.get("type"),
                                                                description=f.get("description"))
                        for f in facet["fields"]], producer=_producer(facet))
        elif key == "columnLineage":
            facets[key] = cl.ColumnLineageDatasetFacet(
                fields={column: cl.Fields(inputFields=[_input_field(f) for f in fields["inputFields"]],
                                          transformationDescription=fields.get("transformationDescription"),
                                          transformationType=fields.get("transformationType"))
                        for column, fields in facet["fields"].items()},
                dataset=[_input_field(f) for f in facet.get("dataset", [])], producer=_producer(facet))
        else:
            raise AssertionError(f"unexpected dataset facet {key!r}")
    return facets


def _input_field(field: dict[str, Any]) -> Any:
    from openlineage.client.facet_v2 import column_lineage_dataset as cl

    return cl.InputField(namespace=field["namespace"], name=field["name"], field=field["field"],
                         transformations=[cl.Transformation(type=t["type"], subtype=t.get("subtype"),
                                                            description=t.get("description"),
                                                            masking=t.get("masking"))
                                          for t in field.get("transformations", [])])
