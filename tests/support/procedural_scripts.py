"""Procedural scripts of each dialect (routines, blocks, batches): none of their statements may vanish.

Written for ``tests/lineage/test_no_statement_vanishes.py``; each is ``name: (dbvendor, text)``.
"""

from __future__ import annotations

SCRIPTS: dict[str, tuple[str, str]] = {
    "oracle-procedure-then-slash": ("dbvoracle", """\
CREATE OR REPLACE PROCEDURE load_orders IS
BEGIN
  INSERT INTO orders_hist SELECT id, amount FROM orders;
END;
/
INSERT INTO audit_log SELECT id FROM orders_hist;
"""),
    "oracle-procedure-declarations-cursor": ("dbvoracle", """\
CREATE OR REPLACE PROCEDURE refresh_day (p_day IN DATE) AS
  v_count NUMBER;
  CURSOR c_new IS SELECT id FROM staging WHERE load_day = p_day;
BEGIN
  FOR r IN c_new LOOP
    UPDATE facts SET seen = 1 WHERE id = r.id;
  END LOOP;
  FOR r IN (SELECT id FROM rejects) LOOP
    DELETE FROM facts WHERE id = r.id;
  END LOOP;
  IF v_count > 0 THEN
    INSERT INTO facts_log (id) SELECT id FROM staging;
  END IF;
  MERGE INTO dim d USING staging s ON (d.id = s.id)
    WHEN MATCHED THEN UPDATE SET d.name = s.name
    WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name);
END refresh_day;
/
"""),
    "oracle-package-body": ("dbvoracle", """\
CREATE OR REPLACE PACKAGE BODY etl AS
  PROCEDURE load_a IS
  BEGIN
    INSERT INTO a_tgt SELECT x FROM a_src;
  END load_a;
  FUNCTION purge RETURN NUMBER IS
    n NUMBER;
  BEGIN
    DELETE FROM b_tgt WHERE x IN (SELECT x FROM b_old);
    RETURN n;
  END purge;
END etl;
/
"""),
    "oracle-trigger-and-anonymous-block": ("dbvoracle", """\
CREATE OR REPLACE TRIGGER orders_audit AFTER INSERT OR UPDATE ON orders FOR EACH ROW
BEGIN
  INSERT INTO orders_audit_log (id, amount) VALUES (:NEW.id, :NEW.amount);
END;
/
DECLARE
  v NUMBER;
BEGIN
  UPDATE totals SET amount = (SELECT sum(amount) FROM orders);
END;
/
"""),
    "tsql-procedure-with-begin": ("dbvmssql", """\
CREATE PROCEDURE dbo.load_sales AS
BEGIN
  SET NOCOUNT ON;
  INSERT INTO dbo.sales_hist (id, amount) SELECT id, amount FROM dbo.sales;
  IF @@ROWCOUNT > 0
    UPDATE dbo.load_state SET loaded = 1;
END
GO
"""),
    "tsql-procedure-without-begin": ("dbvmssql", """\
CREATE PROCEDURE dbo.copy_day @day date AS
  SET NOCOUNT ON
  INSERT INTO dbo.day_copy SELECT * FROM dbo.days WHERE d = @day
  DELETE FROM dbo.days WHERE d < @day
GO
CREATE OR ALTER PROC dbo.p2 AS
  UPDATE dbo.t SET a = 1;
  INSERT INTO dbo.t2 SELECT a FROM dbo.t;
GO
INSERT INTO dbo.after_batches SELECT a FROM dbo.t2
"""),
    "tsql-trigger-and-function": ("dbvmssql", """\
CREATE TRIGGER dbo.trg_orders ON dbo.orders AFTER INSERT, UPDATE AS
BEGIN
  IF UPDATE(amount)
    INSERT INTO dbo.orders_audit (id, amount) SELECT id, amount FROM inserted;
END
GO
CREATE FUNCTION dbo.total (@id int) RETURNS int AS
BEGIN
  RETURN (SELECT sum(amount) FROM dbo.orders WHERE id = @id);
END
GO
"""),
    "postgres-plpgsql-function": ("dbvpostgresql", """\
CREATE OR REPLACE FUNCTION refresh_totals() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT id FROM orders LOOP
    UPDATE totals SET n = n + 1 WHERE id = r.id;
  END LOOP;
  INSERT INTO totals_log SELECT id, n FROM totals;
END;
$$;
CREATE PROCEDURE archive() LANGUAGE sql AS $$
  INSERT INTO archive SELECT * FROM live;
  DELETE FROM live;
$$;
"""),
    "bigquery-procedure": ("dbvbigquery", """\
CREATE OR REPLACE PROCEDURE ds.load(day DATE)
BEGIN
  DECLARE n INT64;
  INSERT INTO ds.facts SELECT id, amount FROM ds.staging WHERE d = day;
  IF n > 0 THEN
    DELETE FROM ds.staging WHERE d = day;
  END IF;
END;
"""),
    "snowflake-scripting-procedure": ("dbvsnowflake", """\
CREATE OR REPLACE PROCEDURE load_facts()
RETURNS VARCHAR
LANGUAGE SQL
AS
$$
DECLARE
  n INTEGER DEFAULT 0;
BEGIN
  INSERT INTO facts SELECT id, amount FROM staging;
  UPDATE facts SET amount = 0 WHERE amount IS NULL;
  RETURN 'done';
END;
$$;
"""),
}
