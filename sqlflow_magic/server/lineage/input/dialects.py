"""Map SQLFlow ``dbvendor`` values onto sqlglot dialects, and the per-vendor script conventions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sqlflow_magic.vendors import VENDORS, UnknownVendorError, resolve_vendor

#: dbvendor -> sqlglot dialect name ("" is sqlglot's default dialect); see ``docs/engine.md#dialects``.
VENDOR_DIALECTS: dict[str, str] = {
    "dbvmssql": "tsql",
    "dbvazuresql": "tsql",
    "dbvoracle": "oracle",
    "dbvpostgresql": "postgres",
    "dbvgreenplum": "postgres",
    "dbvmysql": "mysql",
    "dbvsnowflake": "snowflake",
    "dbvbigquery": "bigquery",
    "dbvhive": "hive",
    "dbvimpala": "hive",
    "dbvsparksql": "spark",
    "dbvdatabricks": "databricks",
    "dbvredshift": "redshift",
    "dbvteradata": "teradata",
    "dbvathena": "athena",
    "dbvpresto": "presto",
    "dbvansi": "",
}

#: Vendors whose qualified names are ``database.table`` (no schema level).
TWO_LEVEL_VENDORS = frozenset({"dbvmysql", "dbvhive", "dbvimpala", "dbvsparksql"})

#: T-SQL family: a line holding only ``GO`` (optionally a count) ends a batch.
_GO_LINE = re.compile(r"^[ \t]*GO(?:[ \t]+\d+)?[ \t]*(?:--[^\n]*)?\r?$", re.IGNORECASE | re.MULTILINE)
#: SQL*Plus: a line holding only ``/`` runs the buffer (ends a PL/SQL block).
_SLASH_LINE = re.compile(r"^[ \t]*/[ \t]*\r?$", re.MULTILINE)

_GO_VENDORS = frozenset({"dbvmssql", "dbvazuresql", "dbvsybase"})


@dataclass(frozen=True)
class DialectChoice:
    """How to read a vendor's SQL: the sqlglot dialect and the script conventions."""

    vendor: str
    dialect: str
    #: Set when sqlglot has no dialect for the vendor (or the vendor is unknown): a hint for the user.
    fallback_message: str | None
    batch_separator: re.Pattern[str] | None
    two_level_names: bool
    #: ``SELECT ... INTO x`` assigns variables (PL/SQL) rather than creating a table.
    select_into_is_variable: bool


@lru_cache(maxsize=64)  # one per vendor spelling; every analysis starts here (the choice is immutable)
def choose_dialect(dbvendor: str) -> DialectChoice:
    """Pick the sqlglot dialect for ``dbvendor`` (a ``dbv*`` value or a friendly alias like ``mssql``)."""
    message: str | None = None
    try:
        vendor = resolve_vendor(dbvendor)
    except UnknownVendorError as exc:
        vendor = dbvendor
        message = f"{exc}; analysed with sqlglot's default (ANSI-like) dialect"
    dialect = VENDOR_DIALECTS.get(vendor, "")
    if message is None and vendor not in VENDOR_DIALECTS:
        human = VENDORS.get(vendor, vendor)
        message = (
            f"no sqlglot dialect for {vendor} ({human}); analysed with the default (ANSI-like) dialect, "
            "so vendor-specific syntax may not parse"
        )
    separator = _GO_LINE if vendor in _GO_VENDORS else _SLASH_LINE if vendor == "dbvoracle" else None
    return DialectChoice(
        vendor=vendor,
        dialect=dialect,
        fallback_message=message,
        batch_separator=separator,
        two_level_names=vendor in TWO_LEVEL_VENDORS,
        select_into_is_variable=vendor == "dbvoracle",
    )
