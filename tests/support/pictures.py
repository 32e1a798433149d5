"""Reading the lineage picture out of a display's HTML: the ``<img>`` whose source is the SVG."""

from __future__ import annotations

import base64
import re

_IMG = re.compile(r'<img class="sqlflow-lineage-picture" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def picture_svgs(html: str) -> list[str]:
    """Every lineage picture in ``html``, as SVG text."""
    return [base64.b64decode(data).decode() for data in _IMG.findall(html)]


def picture_svg(bundle_or_html: dict | str) -> str:
    """The one lineage picture of a display bundle (or of its HTML)."""
    html = bundle_or_html if isinstance(bundle_or_html, str) else bundle_or_html["text/html"]
    (svg,) = picture_svgs(html)
    return svg
