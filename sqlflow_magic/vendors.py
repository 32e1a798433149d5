"""SQL dialects that SQLFlow knows (``dbvendor`` values) and the friendly names users type for them."""

from __future__ import annotations

DEFAULT_VENDOR = "dbvoracle"

#: Every ``dbvendor`` value of the SQLFlow API, with a human name.
VENDORS: dict[str, str] = {
    "dbvoracle": "Oracle",
    "dbvmssql": "SQL Server",
    "dbvmysql": "MySQL",
    "dbvpostgresql": "PostgreSQL",
    "dbvdb2": "IBM Db2",
    "dbvsybase": "Sybase",
    "dbvteradata": "Teradata",
    "dbvredshift": "Amazon Redshift",
    "dbvsnowflake": "Snowflake",
    "dbvbigquery": "Google BigQuery",
    "dbvhive": "Apache Hive",
    "dbvimpala": "Apache Impala",
    "dbvgreenplum": "Greenplum",
    "dbvnetezza": "Netezza",
    "dbvhana": "SAP HANA",
    "dbvinformix": "Informix",
    "dbvvertica": "Vertica",
    "dbvopenedge": "OpenEdge",
    "dbvcouchbase": "Couchbase",
    "dbvmdx": "MDX",
    "dbvazuresql": "Azure SQL",
    "dbvsparksql": "Spark SQL",
    "dbvathena": "Amazon Athena",
    "dbvpresto": "Presto",
    "dbvgaussdb": "GaussDB",
    "dbvansi": "ANSI SQL",
    "dbvdatabricks": "Databricks",
}

#: Names people type, mapped to the ``dbvendor`` value.
ALIASES: dict[str, str] = {
    "mssql": "dbvmssql",
    "sqlserver": "dbvmssql",
    "sql-server": "dbvmssql",
    "tsql": "dbvmssql",
    "t-sql": "dbvmssql",
    "azure": "dbvazuresql",
    "postgres": "dbvpostgresql",
    "pg": "dbvpostgresql",
    "spark": "dbvsparksql",
    "ansi": "dbvansi",
    "db2": "dbvdb2",
}


class UnknownVendorError(ValueError):
    """The dbvendor is not one SQLFlow knows; the message suggests the closest names."""


#: Every name a vendor is known by: ``dbvoracle``, ``oracle`` and the aliases.
_NAMES = {**{name: name for name in VENDORS}, **{name[3:]: name for name in VENDORS}, **ALIASES}


def resolve_vendor(name: str) -> str:
    """Return the ``dbvendor`` value for ``name`` (``mssql``, ``Snowflake``, ``dbvoracle``, ...).

    Raises :class:`UnknownVendorError` naming the closest known vendors.
    """
    key = name.strip().lower()
    table = _NAMES
    if key in table:
        return table[key]
    import difflib

    # a close match only: a far one ("nope" -> "dbvopenedge") misleads, and the list below helps more
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.7)
    suggestions = list(dict.fromkeys(table[c] for c in close))
    if suggestions:
        hint = "did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
    else:
        hint = "use one of: " + ", ".join(sorted(VENDORS))
    raise UnknownVendorError(f"unknown dbvendor {name!r}: {hint}")
