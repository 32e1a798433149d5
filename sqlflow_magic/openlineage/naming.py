"""Dataset namespaces and names by OpenLineage's naming conventions, per SQLFlow ``dbvendor``.

OpenLineage names a table by its data source (the *namespace*, ``scheme://authority``) and its path in
it (the *name*, ``database.schema.table`` or what the database calls those levels). SQLFlow knows the
SQL, not the server, so the authority (host and port, account, cluster) comes from
:class:`NamingSettings`; the levels come from the lineage, and a level that SQLFlow leaves unnamed
(its ``DEFAULT`` database or schema, or a table named without it) is filled in this order: the
setting (``database``, ``schema``), the vendor's own default (``public`` in PostgreSQL and Redshift,
``dbo`` in SQL Server, ``PUBLIC`` in Snowflake, ``AwsDataCatalog`` in Athena), else ``default``.

=================================  ======================================  =============================
dbvendor                           namespace                               name
=================================  ======================================  =============================
postgresql, greenplum              ``postgres://{host}:{port}``            ``{database}.{schema}.{table}``
redshift                           ``redshift://{cluster}.{region}:{port}``  ``{database}.{schema}.{table}``
mysql                              ``mysql://{host}:{port}``               ``{database}.{table}``
oracle                             ``oracle://{host}:{port}``              ``{service}.{schema}.{table}``
mssql, azuresql                    ``sqlserver://{host}:{port}``           ``{database}.{schema}.{table}``
snowflake                          ``snowflake://{org}-{account}``         ``{database}.{schema}.{table}``
bigquery                           ``bigquery``                            ``{project}.{dataset}.{table}``
teradata                           ``teradata://{host}:{port}``            ``{database}.{table}``
hive, sparksql, impala             ``hive://{metastore host}:{port}``      ``{database}.{table}``
athena                             ``awsathena://athena.{region}.amazonaws.com``  ``{catalog}.{database}.{table}``
db2                                ``db2://{host}:{port}``                 ``{database}.{schema}.{table}``
any other (fallback)               ``{vendor}://{host}``, e.g. ``vertica://``  ``{database}.{schema}.{table}``
=================================  ======================================  =============================

``{host}:{port}`` and the like stand for :attr:`NamingSettings.authority`, written as the convention
wants it (``db.example.com:5432``, ``myorg-myaccount``, ``us-east-1`` for Athena); without it the
authority is ``default``. The fallback scheme is the ``dbvendor`` without its ``dbv`` prefix. Files
and locations (SQLFlow's ``path`` objects: ``'s3://bucket/key'``) are named by their URL whatever the
vendor: ``s3://bucket`` + ``key``, ``gs://bucket`` + ``key``, ``hdfs://host:port`` + ``/path``,
``abfss://container@service...`` + ``path``, and a plain path as ``file`` + ``/path``. Names keep
the spelling of the lineage (quotes removed); OpenLineage consumers compare them exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ..lineage_json.shapes import is_unnamed, qualified

UNKNOWN_PART = "default"


@dataclass(frozen=True)
class NamingSettings:
    """What the lineage does not know: the data source's authority and the names of unnamed levels.

    ``authority``: the namespace's ``{host}:{port}`` (or account, cluster, region: see the module's
    table). ``database`` and ``schema`` fill the first and second level of a name where SQLFlow has
    none (``DEFAULT``). ``job_namespace`` is the namespace of the OpenLineage jobs.
    """

    authority: str = ""
    database: str = ""
    schema: str = ""
    job_namespace: str = "sqlflow"

    def __post_init__(self) -> None:
        # user:password@host would put a password into every dataset's namespace; the value is not echoed
        if "@" in self.authority:
            raise ValueError("NamingSettings.authority must not carry credentials (user:password@): "
                             "give host:port only")


@dataclass(frozen=True)
class _Scheme:
    namespace: str  # "{authority}" stands for NamingSettings.authority
    defaults: tuple[str, ...]  # one per level above the table: the vendor's own default, or ""


_THREE = ("", "")
_SCHEMES: dict[str, _Scheme] = {
    "dbvpostgresql": _Scheme("postgres://{authority}", ("", "public")),
    "dbvgreenplum": _Scheme("postgres://{authority}", ("", "public")),
    "dbvredshift": _Scheme("redshift://{authority}", ("", "public")),
    "dbvmysql": _Scheme("mysql://{authority}", ("",)),
    "dbvoracle": _Scheme("oracle://{authority}", _THREE),
    "dbvmssql": _Scheme("sqlserver://{authority}", ("", "dbo")),
    "dbvazuresql": _Scheme("sqlserver://{authority}", ("", "dbo")),
    "dbvsnowflake": _Scheme("snowflake://{authority}", ("", "PUBLIC")),
    "dbvbigquery": _Scheme("bigquery", _THREE),
    "dbvteradata": _Scheme("teradata://{authority}", ("",)),
    "dbvhive": _Scheme("hive://{authority}", ("",)),
    "dbvsparksql": _Scheme("hive://{authority}", ("",)),
    "dbvimpala": _Scheme("hive://{authority}", ("",)),
    "dbvathena": _Scheme("awsathena://athena.{authority}.amazonaws.com", ("AwsDataCatalog", "")),
    "dbvdb2": _Scheme("db2://{authority}", _THREE),
}
#: URL schemes of file locations and the scheme OpenLineage names them by.
_PATH_SCHEMES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs", "gcs": "gs", "hdfs": "hdfs", "abfss": "abfss",
                 "abfs": "abfss", "wasbs": "wasbs", "wasb": "wasbs", "file": "file"}
_QUOTES = {'"': '"', "`": "`", "[": "]", "'": "'"}


def follows_convention(db_vendor: str) -> bool:
    """Whether OpenLineage's naming conventions cover the vendor (else the fallback scheme names it)."""
    return db_vendor in _SCHEMES


def dataset_namespace(db_vendor: str, settings: NamingSettings) -> str:
    """The namespace of the vendor's tables: ``postgres://db:5432``, ``bigquery``, ``vertica://default``."""
    scheme = _SCHEMES.get(db_vendor) or _Scheme(f"{_vendor_word(db_vendor)}://{{authority}}", _THREE)
    return scheme.namespace.format(authority=settings.authority.strip() or UNKNOWN_PART)


def dataset_name(db_vendor: str, settings: NamingSettings, database: str, schema: str, name: str) -> str:
    """The name of a table (``name``, perhaps qualified, in ``database`` and ``schema``) in its namespace."""
    defaults = (_SCHEMES[db_vendor].defaults if db_vendor in _SCHEMES else _THREE)
    parts = split_name(qualified(database, schema, name))
    table, above = parts[-1], parts[:-1][-len(defaults):]
    above = [""] * (len(defaults) - len(above)) + above
    configured = (settings.database, settings.schema)
    filled = [part if not is_unnamed(part) else (configured[i].strip() or defaults[i] or UNKNOWN_PART)
              for i, part in enumerate(above)]
    return ".".join([*filled, table])


def path_dataset(location: str) -> tuple[str, str]:
    """``(namespace, name)`` of a file location as SQLFlow writes it (``'s3://bucket/dir/'``, quotes included)."""
    text = unquote(location.strip())
    parts = urlsplit(text)
    scheme = _PATH_SCHEMES.get(parts.scheme.casefold())
    if scheme is None or (scheme == "file" and not parts.netloc):
        return "file", parts.path if scheme else text
    if scheme in ("hdfs", "file"):
        return f"{scheme}://{parts.netloc}", parts.path or "/"
    return f"{scheme}://{parts.netloc}", parts.path.lstrip("/") or "/"


def split_name(qualified_name: str) -> list[str]:
    """``a."b.c".[d]`` -> ``["a", "b.c", "d"]``: split at the dots outside quotes, quotes removed."""
    parts, current, closing = [], "", ""
    for char in qualified_name:
        if closing:
            current += char
            closing = "" if char == closing else closing
        elif char in _QUOTES:
            current, closing = current + char, _QUOTES[char]
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [unquote(part.strip()) for part in parts]


def unquote(part: str) -> str:
    """A name part without its quotes: ``"Sales"``, ``[Sales]`` and ```Sales``` read ``Sales``."""
    if len(part) >= 2 and part[0] in _QUOTES and part[-1] == _QUOTES[part[0]]:
        return part[1:-1]
    return part


def _vendor_word(db_vendor: str) -> str:
    word = db_vendor[3:] if db_vendor.startswith("dbv") else db_vendor
    return "".join(c for c in word.casefold() if c.isalnum()) or "sql"
