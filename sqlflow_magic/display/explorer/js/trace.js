// Trace: the whole upstream and downstream path of a clicked table or column, over the edges shown.
// A table is traced over the table-level arrows, a column over the column edges; both directions are
// walked separately (upstream only ever goes up), so siblings of the start are not on the path.
// Hits get `sfx-hit`, everything else `sfx-dim`; the SVG itself is never rebuilt.
// A column is also walked over the kernel's `flows` (every column flow, drawn or not), so its path goes on
// through collapsed boxes, whose column edges the scene does not draw, to the columns it really reaches.

function sfxWalk(start, index, showIndirect, forward, flows) {
  const seen = new Set([start]);
  const edges = new Set();
  const pairs = new Set();
  const todo = [start];
  const links = forward ? index.outgoing : index.incoming;
  const flowLinks = flows ? (forward ? flows.outgoing : flows.incoming) : new Map();
  while (todo.length) {
    const node = todo.pop();
    for (const flow of flowLinks.get(node) || []) {
      if (!showIndirect && !SFX_DATA_KINDS.has(flow.kind)) continue;
      pairs.add(flow.pair);
      const next = forward ? flow.to : flow.from;
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
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
  return { nodes: seen, edges, pairs };
}

// The path of one node: the nodes and edge ids on it, and the tables it passes through.
function sfxPath(start, index, showIndirect, flows) {
  const up = sfxWalk(start, index, showIndirect, false, flows);
  const down = sfxWalk(start, index, showIndirect, true, flows);
  const nodes = new Set([...up.nodes, ...down.nodes]);
  const edges = new Set([...up.edges, ...down.edges]);
  const tables = new Set();
  const pairs = new Set([...up.pairs, ...down.pairs]);
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
  const path = sfxPath(start, view.index, view.showIndirect, view.flows);
  view.trace = start;
  view.root.classList.add("sfx-tracing");
  for (const [id, element] of view.dom.tables) sfxMark(element, path.tables.has(id));
  for (const [key, element] of view.dom.columns) sfxMark(element, path.nodes.has(key));
  for (const [id, element] of view.dom.edges) sfxMark(element, path.edges.has(id));
  for (const previous of view.root.querySelectorAll(".sfx-origin")) previous.classList.remove("sfx-origin");
  const origin = start[0] === "t" ? view.dom.tables.get(start.slice(1)) : view.dom.columns.get(start);
  if (origin) origin.classList.add("sfx-origin");
  view.root.dataset.traced = String(path.edges.size);
  const collapsed = [...path.tables].filter((id) => id !== origin?.dataset?.table && view.index.tables.has(id)
    && !view.index.tables.get(id).expanded);
  if (start[0] === "c" && collapsed.length) {
    sfxStatus(view, `The column's path runs through ${collapsed.length} collapsed box(es): expand them for its columns.`);
  }
}
