"""Opening the job database: a private file, the connection's settings, the tables and their migration.

The file and the files SQLite keeps beside it are readable by their owner only (``server/private_files.py``).
The connection runs in WAL mode with a busy timeout, so several processes (two notebook kernels, say) may
share the file, and with ``synchronous=FULL``, so a committed write survives a crash. A file made by an
older version is brought up to the current schema (``records.ADDED_COLUMNS``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlflow_magic.server import fair_queue
from sqlflow_magic.server.private_files import create_private_file, make_private, private_directory
from sqlflow_magic.server.records import SCHEMA, add_missing_columns

__all__ = ["COMPANION_SUFFIXES", "SCHEMA_VERSION", "open_database"]

SCHEMA_VERSION = 3  # 2: files larger than a chunk continue in file_chunks; 3: files count their SQL
#: The files SQLite keeps beside a database: the write-ahead log, its index, a rollback journal.
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if missing) the job database at ``path``, private, with every table at the current schema.

    The connection is in autocommit mode (``isolation_level=None``): its user opens the transactions.
    """
    private_directory(path.parent)
    # An empty file is an empty database, and SQLite gives the files it makes beside it the same mode.
    create_private_file(path)
    make_private([path, *(path.with_name(path.name + end) for end in COMPANION_SUFFIXES)], "the job database")
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(fair_queue.QUEUE_SCHEMA)
        add_missing_columns(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        conn.close()
        raise
    conn.execute("COMMIT")
    return conn
