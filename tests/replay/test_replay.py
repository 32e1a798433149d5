"""Every magic on the answer shapes of real SQLFlow servers, replayed from tests/replay/fixtures.

The expected tables and edges of each fixture are written by hand in tests/replay/expected.py. The
replay server is a real HTTP server on loopback; the magics reach it as they reach any SQLFlow.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import networkx
import pytest

from sqlflow_magic.display.lineage_view import LineageView
from sqlflow_magic.lineage_json import column_edges_frame, read_lineage, table_edges_frame, tables_frame
from tests.support.pictures import picture_svg, picture_svgs
from tests.support.replay_expected import EXPECTED, Expected
from tests.support.replay_server import ReplayServer, Script, answer

pytestmark = pytest.mark.server

JOB_ID = "7d3f9a2c41e84b06a5c2e19f0b6d8a54"
SVG = "{http://www.w3.org/2000/svg}"
LINEAGE = sorted(EXPECTED)
STATUSES = ("create", "process", "success", "partial_success", "fail")


def job_script(lineage: str, summary: str = "job-summary-success") -> Script:
    """A SQLFlow whose job ``JOB_ID`` is in the state of ``summary`` and whose lineage is ``lineage``."""
    return {"submitPersistJob": "job-submit", "displayUserJobSummary": summary, "displayUserJobsSummary": "job-list",
            "exportFullLineageAsJson": lineage, "exportLineageAsJson": lineage, "deleteUserJob": "job-delete",
            "exportFullLineageAsCsv": "lineage.csv", "exportLineageAsGraphml": "lineage.graphml"}


@pytest.fixture
def replay(shell) -> Iterator:
    """Start a replay server for a script and point the shell's magics at it."""
    servers: list[ReplayServer] = []

    def start(script: Script) -> ReplayServer:
        server = ReplayServer(script).__enter__()
        servers.append(server)
        shell.ip.run_line_magic("config", f"SQLFlowMagics.base_url = {server.url!r}")
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


def drawn(svg: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    """The boxes (label -> type) and arrows (source, target, kinds) of a lineage picture."""
    root = ElementTree.fromstring(svg)
    boxes = {g.get("data-table"): g.get("data-type") for g in root.iter(f"{SVG}g")
             if "sqlflow-table" in (g.get("class") or "").split()}
    arrows = {(p.get("data-source"), p.get("data-target"), ",".join(p.get("data-relations").split()))
              for p in root.iter(f"{SVG}path") if p.get("class") == "sqlflow-edge"}
    return boxes, arrows


def assert_shows(svg: str, expected: Expected) -> None:
    boxes, arrows = drawn(svg)
    assert boxes == expected.tables
    assert arrows == expected.edges


# -- the reader, alone ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", LINEAGE)
def test_the_reader_finds_the_hand_written_tables_and_edges(name):
    graph, expected = read_lineage(answer(name)), EXPECTED[name]
    assert {t.name: t.type for t in graph.tables} == expected.tables
    assert {(graph.name(e.source), graph.name(e.target), ",".join(e.relation_types)) for e in graph.edges} == \
        expected.edges
    listed = [e for e in graph.column_edges if e.relation_type in ("join", "call", "er")]
    assert (len({(e.source_table, e.target_table, e.target_column) for e in listed}) == expected.listed_only)


@pytest.mark.parametrize("name", LINEAGE)
def test_the_dataframes_hold_the_same_edges(name):
    expected = EXPECTED[name]
    edges = table_edges_frame(answer(name))
    assert {(r.source, r.target, r.relation_types) for r in edges.itertuples()} == expected.edges
    assert dict(zip(tables_frame(answer(name)).table, tables_frame(answer(name)).type, strict=True)) == expected.tables
    columns = column_edges_frame(answer(name))
    assert set(zip(columns.source_table, columns.target_table, strict=True)) >= {e[:2] for e in expected.edges}


def test_nothing_undrawn_goes_unsaid():
    """An empty picture always says why, in the picture itself too (a viewer may show only the SVG)."""
    er = LineageView(answer("gen3-er"))
    assert "5 er relationships" in er.text() and "5 er relationships" in er.svg() and "5 er relationships" in er.html()
    assert "5 er relationships" in picture_svg(er.html())  # in the picture itself, which a viewer may show alone
    summary = LineageView(answer("summary-mode"))
    assert 'mode "summary"' in summary.text() and "--table" in summary.svg()
    routines = LineageView(answer("gen3-routines"))
    assert "2 procedures" in routines.text() and "1 trigger" in routines.text()
    empty = LineageView({"code": 200, "data": {"sqlflow": {"dbobjs": [], "relationships": []}}})
    assert "no relationships" in empty.text() and "No tables" in empty.svg()


# -- the magics, through a real HTTP server ------------------------------------------------------------
@pytest.mark.parametrize("name", LINEAGE)
def test_submit_wait_draws_every_shape_in_the_panel(shell, replay, name):
    server = replay(job_script(name))
    run = shell.run("%%sqlflow_submit --wait\nSELECT 1")
    assert run.success, run.text()
    bundle = run.outputs[-1]
    assert_shows(picture_svg(bundle), EXPECTED[name])
    for source, target, _kinds in EXPECTED[name].edges:
        assert f"{source} -> {target}" in bundle["text/plain"]
    # the panel asks for both kinds of data flow, so that it can draw them apart
    assert server.asked("exportFullLineageAsJson")[-1]["showRelationType"] == "fdd,fdr"


@pytest.mark.parametrize("name", LINEAGE)
def test_lineage_json_is_the_servers_answer_and_show_draws_it(shell, replay, name):
    server = replay(job_script(name))
    run = shell.run(f"%sqlflow_lineage {JOB_ID} --show")
    assert run.success, run.text()
    assert shell.ns["sqlflow_lineage"] == answer(name)
    assert "showRelationType" not in server.asked("exportFullLineageAsJson")[0]  # the server's own default
    assert server.asked("exportFullLineageAsJson")[1]["showRelationType"] == "fdd,fdr"  # the picture's
    assert_shows(picture_svg(run.outputs[0]), EXPECTED[name])


def test_lineage_options_are_sent_as_sqlflow_fields(shell, replay):
    server = replay(job_script("gen3-job-lineage"))
    run = shell.run(f"%sqlflow_lineage {JOB_ID} --relations fdd,join --show-result-sets --show-functions "
                    "--table shipment_facts --table-level --show")
    assert run.success, run.text()
    asked = server.asked("exportFullLineageAsJson")
    assert len(asked) == 1  # the picture draws what was asked for, without a second request
    assert {k: asked[0][k] for k in ("showRelationType", "ignoreRecordSet", "ignoreFunction", "table",
                                     "tableToTable")} == {"showRelationType": "fdd,join", "ignoreRecordSet": "false",
                                                          "ignoreFunction": "false", "table": "shipment_facts",
                                                          "tableToTable": "true"}
    bad = shell.run(f"%sqlflow_lineage {JOB_ID} --relations fdd,flows")
    assert not bad.success and "'flows' is not a relationship type" in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_csv_and_graphml_exports(shell, replay):
    replay(job_script("gen1-job-lineage"))
    assert shell.run(f"%sqlflow_lineage {JOB_ID} --format csv --var frame").success
    frame = shell.ns["frame"]
    assert list(frame.columns)[-2:] == ["relation_type", "effect_type"]
    assert len(frame) == len(answer("lineage.csv").splitlines()) - 1
    assert ("Sales", "Orders", "Amount") in set(zip(frame.source_schema, frame.source_table, frame.source_column,
                                                      strict=True))
    assert shell.run(f"%sqlflow_lineage {JOB_ID} --format graphml --var graph").success
    graph = networkx.read_graphml(io.StringIO(shell.ns["graph"]))
    assert graph.number_of_nodes() >= 5 and graph.number_of_edges() >= 5


@pytest.mark.parametrize("status", STATUSES)
def test_status_shows_every_job_state(shell, replay, status):
    replay(job_script("gen3-job-lineage", f"job-summary-{status}"))
    run = shell.run(f"%sqlflow_status {JOB_ID}")
    assert run.success, run.text()
    text = run.outputs[-1]["text/plain"]
    assert f"Status   {status}" in text and "nightly_sales" in text
    summary = answer(f"job-summary-{status}")["data"]
    if summary.get("errorMessage"):
        assert summary["errorMessage"] in text
    if status in ("success", "partial_success"):  # a finished job draws its lineage
        assert_shows(picture_svg(run.outputs[-1]), EXPECTED["gen3-job-lineage"])
    else:
        assert not picture_svgs(run.outputs[-1]["text/html"])


def test_jobs_lists_every_job_and_delete_answers_the_deleted_one(shell, replay):
    replay(job_script("gen3-job-lineage"))
    run = shell.run("%sqlflow_jobs")
    assert run.success, run.text()
    listing = answer("job-list")["data"]
    text = run.outputs[-1]["text/plain"]
    assert text.startswith("3 SQLFlow jobs: 1 success, 1 partial success, 1 failed")
    assert all(job_id in text for job_id in listing["jobIds"])
    deleted = shell.run(f"%sqlflow_delete {JOB_ID} --yes")
    assert deleted.success and f"Deleted job {JOB_ID} (nightly_sales)" in deleted.stdout


@pytest.mark.parametrize(("name", "error"), [("error-code-string", "TokenExpiredError"),
                                             ("error-401", "AuthenticationError")])
def test_error_answers_are_one_line_and_fail_the_cell(shell, replay, name, error):
    replay({"displayUserJobSummary": name})
    run = shell.run(f"%sqlflow_status {JOB_ID}")
    assert not run.success
    assert run.stdout.startswith(f"{error}: ") and len(run.stdout.strip().splitlines()) == 1
    assert answer(name)["error"] in run.stdout


def test_a_partial_success_answer_shows_its_error_beside_the_picture(shell, replay):
    replay(job_script("gen1-job-lineage", "job-summary-partial_success"))
    run = shell.run(f"%sqlflow_status {JOB_ID}")
    assert run.success, run.text()
    assert "find orphan column" in run.outputs[-1]["text/html"]
    assert_shows(picture_svg(run.outputs[-1]), EXPECTED["gen1-job-lineage"])
