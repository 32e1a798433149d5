"""Dataset namespaces and names per dbvendor: OpenLineage's naming conventions, the fallback, files."""

from __future__ import annotations

import pytest

from sqlflow_magic.openlineage.naming import NamingSettings, dataset_name, dataset_namespace, path_dataset, split_name

pytestmark = pytest.mark.unit

HOST = NamingSettings(authority="db.example.com:5432")


@pytest.mark.parametrize(("vendor", "namespace"), [
    ("dbvpostgresql", "postgres://db.example.com:5432"),
    ("dbvgreenplum", "postgres://db.example.com:5432"),
    ("dbvmysql", "mysql://db.example.com:5432"),
    ("dbvoracle", "oracle://db.example.com:5432"),
    ("dbvmssql", "sqlserver://db.example.com:5432"),
    ("dbvazuresql", "sqlserver://db.example.com:5432"),
    ("dbvredshift", "redshift://db.example.com:5432"),
    ("dbvsnowflake", "snowflake://db.example.com:5432"),
    ("dbvteradata", "teradata://db.example.com:5432"),
    ("dbvhive", "hive://db.example.com:5432"),
    ("dbvsparksql", "hive://db.example.com:5432"),
    ("dbvdb2", "db2://db.example.com:5432"),
    ("dbvbigquery", "bigquery"),
    ("dbvvertica", "vertica://db.example.com:5432"),
    ("dbvnetezza", "netezza://db.example.com:5432"),
])
def test_the_vendor_picks_the_namespace_and_the_setting_gives_its_authority(vendor, namespace):
    assert dataset_namespace(vendor, HOST) == namespace


def test_athena_names_its_region_and_an_unset_authority_reads_default():
    assert dataset_namespace("dbvathena", NamingSettings(authority="us-east-1")) == \
        "awsathena://athena.us-east-1.amazonaws.com"
    assert dataset_namespace("dbvpostgresql", NamingSettings()) == "postgres://default"


@pytest.mark.parametrize(("vendor", "database", "schema", "name", "expected"), [
    ("dbvpostgresql", "shop", "sales", "orders", "shop.sales.orders"),
    ("dbvpostgresql", "", "", "orders", "default.public.orders"),
    ("dbvredshift", "DEFAULT", "DEFAULT", "events", "default.public.events"),
    ("dbvmssql", "", "", "Orders", "default.dbo.Orders"),
    ("dbvmssql", "", "", "srv.Shop.Sales.Orders", "Shop.Sales.Orders"),
    ("dbvsnowflake", "", "", "analytics.mart.orders", "analytics.mart.orders"),
    ("dbvsnowflake", "", "", "ANALYTICS..ORDERS", "ANALYTICS.PUBLIC.ORDERS"),
    ("dbvmysql", "", "crm", "customers", "crm.customers"),
    ("dbvmysql", "", "", "customers", "default.customers"),
    ("dbvhive", "", "", "web.clicks", "web.clicks"),
    ("dbvathena", "", "", "logs.requests", "AwsDataCatalog.logs.requests"),
    ("dbvbigquery", "", "", "`my-project`.mart.orders", "my-project.mart.orders"),
    ("dbvoracle", "", "", '"Sales"."Order.Lines"', "default.Sales.Order.Lines"),
    ("dbvmssql", "", "", "[Sales].[Orders]", "default.Sales.Orders"),
    ("dbvvertica", "", "", "mart.daily", "default.mart.daily"),
])
def test_a_table_is_named_by_its_levels_with_unnamed_ones_filled(vendor, database, schema, name, expected):
    assert dataset_name(vendor, NamingSettings(), database, schema, name) == expected


def test_the_settings_fill_the_levels_sqlflow_leaves_unnamed():
    settings = NamingSettings(database="ORCLPDB", schema="APP")
    assert dataset_name("dbvoracle", settings, "DEFAULT", "DEFAULT", "orders") == "ORCLPDB.APP.orders"
    assert dataset_name("dbvoracle", settings, "", "HR", "employees") == "ORCLPDB.HR.employees"
    assert dataset_name("dbvmysql", settings, "", "", "customers") == "ORCLPDB.customers"


@pytest.mark.parametrize(("location", "expected"), [
    ("'s3://raw-bucket/events/2024/'", ("s3://raw-bucket", "events/2024/")),
    ("'s3a://raw-bucket/part.parquet'", ("s3://raw-bucket", "part.parquet")),
    ("'gs://bucket/dir/file.csv'", ("gs://bucket", "dir/file.csv")),
    ("'hdfs://namenode:8020/warehouse/t'", ("hdfs://namenode:8020", "/warehouse/t")),
    ("'abfss://c@acct.dfs.core.windows.net/raw/x'", ("abfss://c@acct.dfs.core.windows.net", "raw/x")),
    ("'/srv/export/out.csv'", ("file", "/srv/export/out.csv")),
    ("'file:///data/in.csv'", ("file", "/data/in.csv")),
])
def test_a_file_location_is_named_by_its_url(location, expected):
    assert path_dataset(location) == expected


def test_names_split_at_dots_outside_quotes():
    assert split_name('a."b.c".[d.e].`f`') == ["a", "b.c", "d.e", "f"]


def test_an_authority_with_credentials_is_refused_without_showing_them():
    with pytest.raises(ValueError) as caught:
        NamingSettings(authority="etl:Sup3rSecret@db.example.com:5432")
    assert str(caught.value) == ("NamingSettings.authority must not carry credentials (user:password@): "
                                 "give host:port only")
