// Trace: the whole upstream and downstream path of a clicked table or column, over the edges shown.
// A table is traced over the table-level arrows, a column over the column edges; both directions are
// walked separately (upstream only ever goes up), so siblings of the start are not on the path.
// Hits get `sfx-hit`, everything else `sfx-dim`; the SVG itself is never rebuilt.

function sfxWalk(start, index, showIndirect, forward) {
  const seen = new Set([start]);
  const edges = new Set();
  const todo = [start];
  const links = forward ? index.outgoing : index.incoming;
  while (todo.length) {
    const node = todo.pop();
    for (const edge of links.get(node) || []) {
      if (!sfxEdgeShown(edge, showIndirect)) continue;
      edges.add(String(edge.id));
      const [from, to] = sfxEdgeEnds(edge);
      const next = forward ? to : from;
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return { nodes: seen, edges };
}

// The path of one node: the nodes and edge ids on it, and the tables it passes through.
function sfxPath(start, index, showIndirect) {
  const up = sfxWalk(start, index, showIndirect, false);
  const down = sfxWalk(start, index, showIndirect, true);
  const nodes = new Set([...up.nodes, ...down.nodes]);
  const edges = new Set([...up.edges, ...down.edges]);
  const tables = new Set();
  const pairs = new Set();
  for (const node of nodes) tables.add(node.slice(1).split(SFX_SEP)[0]);
  for (const id of edges) {
    const edge = index.edges.get(id);
    pairs.add(edge.source + SFX_SEP + edge.target);
  }
  // A column path also lights the table arrows it runs along (and a table path the column edges).
  for (const edge of index.edges.values()) {
    if (!edges.has(String(edge.id)) && sfxEdgeShown(edge, showIndirect)
        && pairs.has(edge.source + SFX_SEP + edge.target)
        && (start[0] === "c") !== (edge.source_column != null)) edges.add(String(edge.id));
  }
  return { nodes, edges, tables };
}

function sfxMark(element, hit) {
  element.classList.toggle("sfx-hit", hit);
  element.classList.toggle("sfx-dim", !hit);
}

function sfxClearTrace(view) {
  if (!view.trace) return;
  view.trace = null;
  view.root.classList.remove("sfx-tracing");
  for (const map of [view.dom.tables, view.dom.columns, view.dom.edges]) {
    for (const element of map.values()) element.classList.remove("sfx-hit", "sfx-dim", "sfx-origin");
  }
}

// Traces `start` (a node key, see scene.js) and marks the drawing; null clears the trace.
function sfxTrace(view, start) {
  if (start == null) return sfxClearTrace(view);
  const path = sfxPath(start, view.index, view.showIndirect);
  view.trace = start;
  view.root.classList.add("sfx-tracing");
  for (const [id, element] of view.dom.tables) sfxMark(element, path.tables.has(id));
  for (const [key, element] of view.dom.columns) sfxMark(element, path.nodes.has(key));
  for (const [id, element] of view.dom.edges) sfxMark(element, path.edges.has(id));
  for (const previous of view.root.querySelectorAll(".sfx-origin")) previous.classList.remove("sfx-origin");
  const origin = start[0] === "t" ? view.dom.tables.get(start.slice(1)) : view.dom.columns.get(start);
  if (origin) origin.classList.add("sfx-origin");
  view.root.dataset.traced = String(path.edges.size);
}
