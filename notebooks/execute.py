"""Re-run the tutorial notebooks and save them with their outputs (a maintainer's tool).

    python notebooks/execute.py            # every tutorial
    python notebooks/execute.py 03-lineage # one

The saved outputs are what nbval compares against and what GitHub shows. Each tutorial waits for its
jobs, so every panel ends in its static form (HTML and text); should a panel still be live when the
run ends, its widget view is not saved, nor is widget state, so that every viewer shows the static
form instead of "Error displaying widget: model not found" (docs/saved-outputs.md). Jobs go to a
throw-away database; cell timings are not saved.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def execute(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=False, record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)  # timings: noise in every diff
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    nbformat.write(notebook, path)
    print(f"executed and saved {path.name}")


def main(names: list[str]) -> None:
    os.environ["SQLFLOW_LOCAL_SERVER_DB"] = str(Path(tempfile.mkdtemp()) / "jobs.sqlite3")
    paths = [HERE / f"{name.removesuffix('.ipynb')}.ipynb" for name in names] or sorted(HERE.glob("[0-9]*.ipynb"))
    for path in paths:
        execute(path)


if __name__ == "__main__":
    main(sys.argv[1:])
