"""The exports' JSON, written by orjson where it is installed, else by Python's ``json``: the same bytes
either way.

A big job's exports are mostly JSON text: the 5 MB script of ``docs/performance.md`` has a 113 MB
column-level lineage, which Python's encoder writes in about 1.7 s and orjson (Rust, on PyPI with
wheels for every CPython this package supports) in about 0.25 s. orjson comes with the ``compiled``
extra, which the README's commands install; ``pip install sqlflow-magic`` alone keeps the standard
library (``docs/dependencies.md``, "orjson").

Both write compact UTF-8 (no space after ``,`` and ``:``, as the server's other answers, Starlette's
JSON responses, are; characters past ASCII unescaped), in the same key order, with the same escapes.
They differ only on values an answer never holds: floats below 1e-4 (``1e-07`` against ``1e-7``),
integers past 64 bits, keys that are not strings, NaN. ``tests/lineage/test_export_json.py`` writes every
answer of the corpus with both and requires the same bytes.

Reading stays with Python's ``json``: orjson read the same 113 MB only 1.0-1.2x as fast
(``benchmarks/export_json.py``), as most of the time goes to making the objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def encode_with_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON by Python's ``json`` (its circular-reference check skipped: an
    answer is a tree of dicts and lists, never a graph)."""
    return json.dumps(value, ensure_ascii=False, check_circular=False, separators=(",", ":")).encode()


def _encoder() -> tuple[str, Callable[[Any], bytes]]:
    try:
        import orjson
    except ImportError:  # installed without the `compiled` extra
        return "json", encode_with_json
    return "orjson", orjson.dumps


#: Which library writes the exports' JSON, ``orjson`` or ``json``, and :func:`encode`, its function that
#: writes a value as compact UTF-8 JSON.
CODEC, encode = _encoder()
