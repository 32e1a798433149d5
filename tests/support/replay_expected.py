"""What each replay fixture must show, written by hand from its SQL (never computed by the code under test)."""
from typing import NamedTuple


class Expected(NamedTuple):
    tables: dict[str, str]            # box label -> kind: "table", "view" or "result_set"
    edges: set[tuple[str, str, str]]  # (source box, target box, relation kinds joined by ",", sorted)
    listed_only: int = 0              # relationships that are listed but not drawn (join, call, er)


EXPECTED: dict[str, Expected] = {
    # CREATE VIEW Sales.vOrderTotals AS SELECT ... FROM Sales.Orders JOIN Sales.Customers (through RS-1);
    # INSERT INTO Reporting.DailyRevenue SELECT ... FROM Sales.Orders (through INSERT-SELECT-1);
    # SELECT ... FROM Regions JOIN Sales.Customers (RS-2 ends the flow). The procedure dbo.usp_Heartbeat and the
    # pseudoTable of the orphan column `Active` carry no flow: no box.
    "gen1-job-lineage": Expected(
        tables={
            "Sales.Orders": "table",
            "Sales.Customers": "table",
            "Regions": "table",
            "Reporting.DailyRevenue": "table",
            "Sales.vOrderTotals": "view",
            "RS-2": "result_set",
        },
        edges={
            ("Sales.Orders", "Sales.vOrderTotals", "fdd"),
            ("Sales.Customers", "Sales.vOrderTotals", "fdd"),
            ("Sales.Orders", "Reporting.DailyRevenue", "fdd"),
            ("Regions", "RS-2", "fdd"),
            ("Sales.Customers", "RS-2", "fdd"),
        },
    ),
    # INSERT INTO region_sales SELECT r.region_id, SUM(NVL(r.amount, 0)), 'EUR'
    # FROM (SELECT * FROM shop_sales WHERE sale_date >= DATE '...') r GROUP BY r.region_id.
    # fdd: region_id and amount (through RESULT_OF_R, NVL, SUM, INSERT-SELECT-1); fdr: sale_date (WHERE) into the
    # rows, and region_id (GROUP BY) into SUM. SQL_CONSTANTS only feeds: no arrow from it. The process is dropped.
    "gen1-model-functions": Expected(
        tables={
            "region_sales": "table",
            "shop_sales": "table",
        },
        edges={
            ("shop_sales", "region_sales", "fdd,fdr"),
        },
    ),
    # SELECT t.*, p.publisher_name FROM (SELECT ... FROM books JOIN authors) t JOIN publishers p ...:
    # every table feeds RS-1 only. The two relationships of effectType join are of type fdd (as in the vendor's
    # answer): data flows that repeat two select ones, so they add no arrow and nothing is left undrawn.
    "gen2-generation-graph": Expected(
        tables={
            "BOOKS": "table",
            "AUTHORS": "table",
            "PUBLISHERS": "table",
            "RS-1": "result_set",
        },
        edges={
            ("BOOKS", "RS-1", "fdd"),
            ("AUTHORS", "RS-1", "fdd"),
            ("PUBLISHERS", "RS-1", "fdd"),
        },
    ),
    # CREATE VIEW active_members AS SELECT m.member_id, ... FROM members m WHERE m.status = 'A' (through RS-1).
    "gen1-generation-plain": Expected(
        tables={
            "members": "table",
            "active_members": "view",
        },
        edges={
            ("members", "active_members", "fdd"),
        },
    ),
    # INSERT INTO shipment_facts SELECT ... FROM stage.shipments_raw WHERE state = 'DELIVERED' (fdd columns, fdr WHERE);
    # CREATE VIEW heavy_shipments AS SELECT ... FROM shipment_facts WHERE weight_kg > 1000 (fdd columns, fdr WHERE).
    # shipments_raw sits in the schema node "STAGE" (displayName "stage.shipments_raw"); the others in DEFAULT.
    "gen3-job-lineage": Expected(
        tables={
            "STAGE.shipments_raw": "table",
            "shipment_facts": "table",
            "heavy_shipments": "view",
        },
        edges={
            ("STAGE.shipments_raw", "shipment_facts", "fdd,fdr"),
            ("shipment_facts", "heavy_shipments", "fdd,fdr"),
        },
    ),
    # Views crm.v_contact_overview (contacts JOIN accounts) and crm.v_account_names (accounts), read from the
    # database. audit.login_events has no flow but is a table: a box. Package, procedure, function and trigger
    # are on no flow: no box.
    "gen3-routines": Expected(
        tables={
            "crm.accounts": "table",
            "crm.contacts": "table",
            "audit.login_events": "table",
            "crm.v_contact_overview": "view",
            "crm.v_account_names": "view",
        },
        edges={
            ("crm.contacts", "crm.v_contact_overview", "fdd"),
            ("crm.accounts", "crm.v_contact_overview", "fdd"),
            ("crm.accounts", "crm.v_account_names", "fdd"),
        },
    ),
    # Five CREATE TABLEs and five ALTER TABLE ... ADD FOREIGN KEY: five er relationships, no data flow.
    "gen3-er": Expected(
        tables={
            "`authors`": "table",
            "`tags`": "table",
            "`posts`": "table",
            "`comments`": "table",
            "`post_tags`": "table",
        },
        edges=set(),
        listed_only=5,
    ),
    # Table level: invoices -> invoices_archive, invoices + clients -> overdue_invoices,
    # overdue_invoices -> client_balances, and UPDATE invoices SET total = total * 1.1 (a self edge).
    # No dbobjs: every end is a plain table.
    "relationship-singular": Expected(
        tables={
            "INVOICES": "table",
            "INVOICES_ARCHIVE": "table",
            "OVERDUE_INVOICES": "table",
            "CLIENTS": "table",
            "CLIENT_BALANCES": "table",
        },
        edges={
            ("INVOICES", "INVOICES_ARCHIVE", "fdd"),
            ("INVOICES", "OVERDUE_INVOICES", "fdd"),
            ("CLIENTS", "OVERDUE_INVOICES", "fdd"),
            ("OVERDUE_INVOICES", "CLIENT_BALANCES", "fdd"),
            ("INVOICES", "INVOICES", "fdd"),
        },
    ),
    # Summary mode: only the busiest tables are listed, with no relationships.
    "summary-mode": Expected(
        tables={
            "DWH.FACT_SALES": "table",
            "DWH.DIM_CUSTOMER": "table",
            "STG.STG_ORDERS": "table",
        },
        edges=set(),
    ),
}
