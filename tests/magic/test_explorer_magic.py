"""%sqlflow_lineage --show: the explorer in a kernel front end, the static picture otherwise or with --static;
the SQL behind an edge from the cell this kernel submitted."""

from __future__ import annotations

import pytest

from sqlflow_magic.magic.submitted_texts import SUBMITTED
from tests.support.shell import widget_by_id
from tests.support.users import ALICE_SECRET

pytestmark = pytest.mark.server

WIDGET = "application/vnd.jupyter.widget-view+json"
CELL = """INSERT INTO sales.daily (day, total)
SELECT o.order_date, SUM(o.amount) FROM sales.orders o
WHERE o.status = 'paid'
GROUP BY o.order_date;
"""


@pytest.fixture
def submitted(alice_shell):
    """Alice's shell, as a kernel front end with widgets, after the cell above ran to success."""
    SUBMITTED.clear()
    alice_shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    run = alice_shell.run(f"%%sqlflow_submit -d oracle --wait\n{CELL}")
    assert run.success, run.text()
    return alice_shell


def test_show_displays_the_static_picture_then_the_explorer_which_hides_it_while_drawn(submitted):
    run = submitted.run("%sqlflow_lineage --show")
    assert run.success, run.text()
    saved_form, bundle = run.outputs[-2:]
    assert WIDGET not in saved_form and 'class="sqlflow-lineage-picture"' in saved_form["text/html"]
    assert "sales.orders -> sales.daily" in saved_form["text/plain"]
    explorer = widget_by_id(bundle[WIDGET]["model_id"])
    assert f'data-sqlflow-explorer="{explorer.saved_form_id}"' in saved_form["text/html"]
    assert "text/html" not in bundle and "the picture above is its saved form" in bundle["text/plain"]
    assert {t["name"] for t in explorer.scene["tables"]} == {"sales.orders", "sales.daily"}


def test_an_edge_shows_the_statement_of_the_cell_this_kernel_submitted(submitted):
    bundle = submitted.run("%sqlflow_lineage --show").outputs[-1]
    explorer = widget_by_id(bundle[WIDGET]["model_id"])
    orders = next(t["id"] for t in explorer.scene["tables"] if t["name"] == "sales.orders")
    explorer.handle_message({"event": "expand", "table": orders})
    edge = next(e for e in explorer.scene["edges"] if e["source_column"] == "status")
    answer = explorer.handle_message({"event": "sql", "edge": edge["id"]})
    assert answer["available"] and answer["file"] == "cell.sql" and answer["line"] == 3
    assert answer["text"] == CELL.rstrip("\n")


def test_the_sql_of_a_job_this_kernel_did_not_submit_is_unavailable_with_the_reason(submitted):
    SUBMITTED.clear()  # as if another kernel had submitted it
    bundle = submitted.run("%sqlflow_lineage --show").outputs[-1]
    explorer = widget_by_id(bundle[WIDGET]["model_id"])
    answer = explorer.sql(explorer.scene["edges"][0]["id"])
    job_id = submitted.ns["sqlflow_job_id"]
    assert not answer["available"] and answer["reason"] == (
        f"the SQL of job {job_id} was not submitted from this kernel, and SQLFlow's API does not return a job's files")


def test_static_keeps_the_picture_only(submitted):
    bundle = submitted.run("%sqlflow_lineage --show --static").outputs[-1]
    assert WIDGET not in bundle and 'class="sqlflow-lineage-picture"' in bundle["text/html"]
    refused = submitted.run("%sqlflow_lineage --static")
    assert not refused.success and "--static needs --show" in refused.text()


def test_max_explorer_tables_sets_where_the_explorer_starts_from_a_summary(submitted, caplog):
    submitted.ip.run_line_magic("config", "SQLFlowMagics.max_explorer_tables = 1")
    explorer = widget_by_id(submitted.run("%sqlflow_lineage --show").outputs[-1][WIDGET]["model_id"])
    assert explorer.scene["mode"] == "summary" and explorer.scene["total_tables"] == 2
    submitted.run("%config SQLFlowMagics.max_explorer_tables = 0")
    assert submitted.magics.max_explorer_tables == 1 and "max_explorer_tables must be positive" in caplog.text


def test_the_sql_behind_an_edge_never_shows_this_clients_secret_key(alice_shell):
    SUBMITTED.clear()
    alice_shell.ip.run_line_magic("config", "SQLFlowMagics.live_panels = True")
    cell = CELL.replace("'paid'", f"'{ALICE_SECRET}'")  # a secret pasted into the SQL, in no credential pattern
    assert alice_shell.run(f"%%sqlflow_submit -d oracle --wait\n{cell}").success
    explorer = widget_by_id(alice_shell.run("%sqlflow_lineage --show").outputs[-1][WIDGET]["model_id"])
    orders = next(t["id"] for t in explorer.scene["tables"] if t["name"] == "sales.orders")
    explorer.handle_message({"event": "expand", "table": orders})
    edge = next(e for e in explorer.scene["edges"] if e["source_column"] == "status")
    answer = explorer.handle_message({"event": "sql", "edge": edge["id"]})
    assert answer["available"] and ALICE_SECRET not in answer["text"] and "WHERE o.status = '" in answer["text"]

