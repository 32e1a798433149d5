"""What the lineage picture costs in a saved notebook: the ``<img>`` of its SVG beside a PNG of the
same picture made by a maintained rasteriser (CairoSVG), measured in the same run.

For lineages of 6, 29 and 60 tables (a generated warehouse: raw tables loaded into staging tables,
staging tables joined into marts), it prints the picture's size as SVG, as the base64 ``data:`` URI the
saved output holds, and as PNG at 1x and 2x (what a sharp picture on a high-density screen needs),
with the time each takes to make (median of ``--runs``). CairoSVG needs the native cairo library,
which is why it is a peer here and not a dependency.

    python benchmarks/saved_pictures.py [--runs 5]
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from collections.abc import Callable
from functools import partial

from _common import machine_info, median, table

from sqlflow_magic.display.lineage_view import LineageView
from sqlflow_magic.lineage_json import LineageGraph
from sqlflow_magic.server.lineage.engine import analyze
from sqlflow_magic.server.lineage.export import to_sqlflow_json
from sqlflow_magic.server.lineage.model import SqlSource

SIZES = (6, 29, 60)


def warehouse_sql(tables: int) -> str:
    """About ``tables`` tables: raw.t_i -> stg.t_i, then pairs of staging tables joined into mart.m_i."""
    pairs = max(1, tables // 5)
    loads = (tables - pairs) // 2
    lines = [f"INSERT INTO stg.t{i} (id, amount) SELECT id, amount FROM raw.t{i};" for i in range(loads)]
    for i in range(pairs):
        a, b = (2 * i) % loads, (2 * i + 1) % loads
        lines.append(f"INSERT INTO mart.m{i} (id, total) SELECT x.id, x.amount + y.amount "
                     f"FROM stg.t{a} x JOIN stg.t{b} y ON x.id = y.id;")
    return "\n".join(lines)


def timed(make: Callable[[], object], runs: int) -> tuple[object, float]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = make()
        times.append(time.perf_counter() - start)
    return result, median(times)


def draw(graph: LineageGraph) -> str:
    return LineageView(graph).svg()  # a new view each time: its SVG cache does not count


def kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    try:
        import cairosvg  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: the cairo library itself is missing
        sys.exit(f"the peer needs CairoSVG and cairo: pip install cairosvg ({exc})")
    print(machine_info())
    print(f"CairoSVG {cairosvg.__version__}; median of {args.runs} runs\n")
    rows = []
    for tables in SIZES:
        lineage = to_sqlflow_json(analyze([SqlSource("warehouse.sql", warehouse_sql(tables))], "dbvpostgresql"))
        view = LineageView(lineage)
        drawn = len(view.picture_graph().tables)
        svg, svg_time = timed(partial(draw, view.graph), args.runs)
        assert isinstance(svg, str)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        png1, png1_time = timed(partial(cairosvg.svg2png, bytestring=svg.encode(), scale=1), args.runs)
        png2, png2_time = timed(partial(cairosvg.svg2png, bytestring=svg.encode(), scale=2), args.runs)
        assert isinstance(png1, bytes) and isinstance(png2, bytes)
        rows.append([f"{drawn} tables", kib(len(svg)), f"{svg_time * 1000:.1f} ms", kib(len(uri)),
                     kib(len(png1)), f"{png1_time * 1000:.1f} ms", kib(len(png2)), f"{png2_time * 1000:.1f} ms",
                     f"{len(base64.b64encode(png2)) / len(uri):.1f}x"])
    print(table(["picture", "SVG", "drawn in", "saved (img, base64)", "PNG 1x (CairoSVG)", "made in",
                 "PNG 2x", "made in", "PNG 2x saved / img saved"], rows))


if __name__ == "__main__":
    main()
