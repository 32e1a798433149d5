// Drawing a scene as SVG: one <g> stage (zoom and pan move it), arrows below, boxes above.
// Drawn again only when the kernel sends a new scene; every interaction afterwards changes classes.

const SFX_SVG_NS = "http://www.w3.org/2000/svg";
const SFX_ROW_HEIGHT = 20;

function sfxSvg(tag, attrs, parent) {
  const node = document.createElementNS(SFX_SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function sfxText(x, y, text, cls, parent) {
  const node = sfxSvg("text", { x, y, class: cls }, parent);
  node.textContent = text;
  return node;
}

function sfxPathData(points) {
  return points.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1)).join(" ");
}

function sfxDrawMarkers(svg) {
  const defs = sfxSvg("defs", {}, svg);
  for (const kind of ["fdd", "indirect"]) {
    const marker = sfxSvg("marker", { id: "sfx-arrow-" + kind, viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    sfxSvg("path", { d: "M0 0 L10 5 L0 10 z", class: "sfx-arrowhead sfx-arrowhead-" + kind }, marker);
  }
}

function sfxDrawEdge(edge, parent) {
  const column = edge.source_column != null && edge.target_column != null;
  const path = sfxSvg("path", {
    d: sfxPathData(edge.points || []),
    class: "sfx-edge " + (column ? "sfx-edge-column" : "sfx-edge-table"),
    "data-id": edge.id, "data-kind": edge.kind,
    "marker-end": "url(#sfx-arrow-" + (edge.kind === "fdd" ? "fdd" : "indirect") + ")",
  }, parent);
  return path; // no <title>: a thousand more nodes to build; the detail panel names the edge
}

function sfxDrawColumns(table, group, dom) {
  for (const column of table.columns || []) {
    const row = sfxSvg("g", { class: "sfx-column", "data-table": table.id, "data-column": column.name }, group);
    sfxSvg("rect", { x: table.x + 1, y: table.y + column.y - SFX_ROW_HEIGHT / 2, width: table.width - 2,
      height: SFX_ROW_HEIGHT, class: "sfx-column-row" }, row);
    sfxText(table.x + 10, table.y + column.y + 4, column.label || column.name, "sfx-column-label", row);
    dom.columns.set(sfxColumnKey(table.id, column.name), row);
  }
}

function sfxDrawTable(table, parent, dom) {
  const kind = table.intermediate ? " sfx-intermediate-box" : "";
  const group = sfxSvg("g", { class: "sfx-table sfx-type-" + String(table.type).replace(/\W/g, "_") + kind,
    "data-id": table.id, "data-name": table.name, "data-expanded": table.expanded ? "1" : "0" }, parent);
  const header = table.header_height || 28;
  sfxSvg("rect", { x: table.x, y: table.y, width: table.width, height: table.height, rx: 4,
    class: "sfx-box" }, group);
  if (table.expanded) sfxSvg("line", { x1: table.x, y1: table.y + header, x2: table.x + table.width,
    y2: table.y + header, class: "sfx-rule" }, group);
  sfxText(table.x + 22, table.y + header / 2 + 4, table.name, "sfx-table-name", group);
  const title = sfxSvg("title", {}, group);
  title.textContent = `${table.name} (${table.type}, ${(table.columns || []).length} columns)`;
  if ((table.columns || []).length) {
    const toggle = sfxSvg("g", { class: "sfx-expand", "data-table": table.id }, group);
    sfxSvg("rect", { x: table.x + 4, y: table.y + header / 2 - 7, width: 14, height: 14, rx: 2,
      class: "sfx-expand-box" }, toggle);
    sfxText(table.x + 11, table.y + header / 2 + 4, table.expanded ? "−" : "+", "sfx-expand-sign", toggle);
  }
  if (table.more > 0) {
    const badge = sfxSvg("g", { class: "sfx-more", "data-table": table.id }, group);
    sfxSvg("rect", { x: table.x + table.width - 34, y: table.y - 9, width: 34, height: 16, rx: 8 }, badge);
    sfxText(table.x + table.width - 17, table.y + 3, "+" + table.more, "sfx-more-label", badge);
    sfxSvg("title", {}, badge).textContent = `${table.more} neighbours not shown: click for this table's neighbourhood`;
  }
  if (table.expanded) sfxDrawColumns(table, group, dom);
  dom.tables.set(String(table.id), group);
}

function sfxTableSign(table) {
  return [table.x, table.y, table.width, table.height, table.expanded, table.more, table.name, table.type,
    table.intermediate, (table.columns || []).map((c) => c.name + ":" + c.y).join(",")].join("|");
}

// Draws `scene` on the stage. With the previous drawing (`old`), the elements of boxes and edges that
// did not change are kept and moved ones get new coordinates (expanding a box moves a few boxes and
// their arrows): far less to build than the whole drawing. Returns the element maps the modules use.
function sfxDraw(stage, scene, old) {
  const fresh = !old;
  // Indirect edges in groups of their own: the fdr toggle shows or hides two groups, not 3,000 paths.
  const groups = fresh ? {
    table: sfxSvg("g", { class: "sfx-edges sfx-edges-table" }),
    column: sfxSvg("g", { class: "sfx-edges sfx-edges-column" }),
    tableIndirect: sfxSvg("g", { class: "sfx-edges sfx-edges-table sfx-edges-indirect" }),
    columnIndirect: sfxSvg("g", { class: "sfx-edges sfx-edges-column sfx-edges-indirect" }),
    boxes: sfxSvg("g", { class: "sfx-tables" }),
  } : old.groups;
  const dom = { groups, tables: new Map(), columns: new Map(), edges: new Map(), signs: new Map() };
  for (const edge of scene.edges || []) {
    const id = String(edge.id);
    const column = edge.source_column != null && edge.target_column != null;
    const kept = fresh ? null : old.edges.get(id);
    if (kept && kept.dataset.kind === edge.kind) {
      const d = sfxPathData(edge.points || []);
      if (kept.getAttribute("d") !== d) kept.setAttribute("d", d);
      old.edges.delete(id);
      dom.edges.set(id, kept);
    } else {
      const group = (column ? "column" : "table") + (SFX_DATA_KINDS.has(edge.kind) ? "" : "Indirect");
      dom.edges.set(id, sfxDrawEdge(edge, groups[group]));
    }
  }
  for (const table of scene.tables || []) {
    const id = String(table.id);
    const sign = sfxTableSign(table);
    const kept = fresh ? null : old.tables.get(id);
    if (kept && old.signs.get(id) === sign) {
      old.tables.delete(id);
      dom.tables.set(id, kept);
      for (const c of table.columns || []) {
        const row = old.columns.get(sfxColumnKey(id, c.name));
        if (row) dom.columns.set(sfxColumnKey(id, c.name), row);
      }
    } else {
      sfxDrawTable(table, groups.boxes, dom);
    }
    dom.signs.set(id, sign);
  }
  if (fresh) {
    stage.replaceChildren(groups.tableIndirect, groups.table, groups.columnIndirect, groups.column, groups.boxes);
  }
  else for (const element of [...old.edges.values(), ...old.tables.values()]) element.remove();
  return dom;
}
