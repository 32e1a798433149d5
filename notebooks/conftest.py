"""nbval runs these tutorials in kernels that inherit this environment: their jobs go to a throw-away
database (as in notebooks/execute.py), never into the user's own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SQLFLOW_LOCAL_SERVER_DB", str(Path(tempfile.mkdtemp(prefix="sqlflow-nbval-")) / "jobs.sqlite3"))
