// The edge detail panel: where an edge comes from (file, line, column from the lineage's coordinates)
// at once, then the statement's SQL text from the kernel's answer to {"event": "sql"}, or the reason
// the text is not available. Text is set with textContent only: SQL is never parsed as HTML.

function sfxDetailLine(parent, label, value, cls) {
  const row = document.createElement("div");
  row.className = "sfx-detail-row " + (cls || "");
  const name = document.createElement("span");
  name.className = "sfx-detail-label";
  name.textContent = label;
  const text = document.createElement("span");
  text.textContent = value;
  row.append(name, text);
  parent.appendChild(row);
  return row;
}

function sfxWhere(where) {
  if (!where || !where.file && where.line == null) return "not in the lineage's coordinates";
  const parts = [where.file || "(no file)"];
  if (where.line != null) parts.push("line " + where.line);
  if (where.column != null) parts.push("column " + where.column);
  return parts.join(", ");
}

function sfxShowDetail(view, edgeId) {
  const edge = view.index.edges.get(String(edgeId));
  const panel = view.detail;
  if (!edge) return;
  sfxSelectEdge(view, edge.id);
  panel.replaceChildren();
  panel.hidden = false;
  panel.dataset.edge = String(edge.id);
  panel.dataset.state = "loading";
  const close = document.createElement("button");
  close.className = "sfx-detail-close";
  close.title = "Close (Escape)";
  close.textContent = "×";
  close.addEventListener("click", () => sfxHideDetail(view));
  const source = view.index.tables.get(String(edge.source));
  const target = view.index.tables.get(String(edge.target));
  const name = (table, column) => (table ? table.name : "?") + (column != null ? "." + column : "");
  panel.append(close);
  sfxDetailLine(panel, "Edge", `${name(source, edge.source_column)} → ${name(target, edge.target_column)}`);
  sfxDetailLine(panel, "Kind", [edge.kind, edge.clause_type, edge.effect_type].filter(Boolean).join(", "));
  for (const where of edge.where && edge.where.length ? edge.where : [null]) {
    sfxDetailLine(panel, "Where", sfxWhere(where), "sfx-detail-where");
  }
  const sql = document.createElement("pre");
  sql.className = "sfx-detail-sql";
  sql.textContent = "Asking the kernel for the statement's text…";
  panel.appendChild(sql);
  view.model.send({ event: "sql", edge: edge.id });
}

// The kernel's answer: file/line/column of the statement and its text, or why there is none.
function sfxDetailAnswer(view, message) {
  const panel = view.detail;
  if (panel.hidden || panel.dataset.edge !== String(message.edge)) return;
  const sql = panel.querySelector(".sfx-detail-sql");
  panel.dataset.state = message.available ? "text" : "unavailable";
  if (message.file != null || message.line != null) {
    const row = sfxDetailLine(panel, "SQL at", sfxWhere(message), "sfx-detail-statement");
    panel.insertBefore(row, sql);
  }
  sql.classList.toggle("sfx-detail-reason", !message.available);
  sql.textContent = message.available ? message.text : "SQL text not available: " + (message.reason || "unknown");
}

function sfxSelectEdge(view, edgeId) {
  for (const old of view.root.querySelectorAll(".sfx-selected")) old.classList.remove("sfx-selected");
  const path = edgeId == null ? null : view.dom.edges.get(String(edgeId));
  if (path) path.classList.add("sfx-selected");
}

function sfxHideDetail(view) {
  sfxSelectEdge(view, null);
  view.detail.hidden = true;
  view.detail.replaceChildren();
  delete view.detail.dataset.edge;
}

// The edge under a click that hit no element: the nearest shown edge within a few pixels on screen.
function sfxEdgeNear(view, x, y) {
  const tolerance = 5 / view.zoom.k;
  let best = null;
  let bestDistance = tolerance * tolerance;
  for (const edge of view.index.edges.values()) {
    if (!sfxEdgeShown(edge, view.showIndirect)) continue;
    const points = edge.points || [];
    for (let i = 1; i < points.length; i++) {
      const d = sfxSegmentDistance2(x, y, points[i - 1], points[i]);
      if (d < bestDistance) {
        bestDistance = d;
        best = edge;
      }
    }
  }
  return best;
}

function sfxSegmentDistance2(x, y, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / length2)) : 0;
  const px = a[0] + t * dx - x;
  const py = a[1] + t * dy - y;
  return px * px + py * py;
}
