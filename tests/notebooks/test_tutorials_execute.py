"""Every tutorial runs top to bottom under nbclient, the way papermill and CI runners execute notebooks.

nbval (run on the same notebooks by the test command) compares outputs but only notices failures that
print a traceback; nbclient also fails on a ``UsageError``, whose reply has status ``error`` without one.
Cells tagged ``raises-exception`` must fail, and every other cell must not.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TUTORIALS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))


def test_there_are_six_tutorials():
    assert [p.name[:2] for p in TUTORIALS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_tutorial_runs_top_to_bottom(path, tmp_path):
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns("exports", "warehouse.zip"))
    notebook = nbformat.read(work / path.name, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()  # raises on any unexpected error
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        failed = any(o.output_type == "error" for o in cell.outputs) or any(
            o.output_type == "stream" and o.name == "stderr" and "Error" in o.text for o in cell.outputs)
        expected = "raises-exception" in cell.metadata.get("tags", [])
        assert failed == expected, f"{path.name}: cell {cell.source[:60]!r} failed={failed}, tagged={expected}"
        if cell.source.startswith("%%"):
            assert "#" not in cell.source.splitlines()[0], "notes go in markdown, not on the magic line"


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_saved_tutorial_is_executed_and_clean(path):
    """Saved with outputs (GitHub shows them), without widget state, every code cell run in order."""
    notebook = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert all(counts) and counts == sorted(counts), "run the notebook top to bottom (notebooks/execute.py)"
    assert "widgets" not in notebook.metadata
    assert any(c.outputs for c in notebook.cells if c.cell_type == "code")
