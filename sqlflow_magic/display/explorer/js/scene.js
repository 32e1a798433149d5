// The scene's index: tables by id, edges by id, and each node's incoming and outgoing edges, built once
// per scene so that trace, search and the edge picker never scan the whole scene twice.
// A node is a table ("t" + id) or a column of a table ("c" + id + SEP + column name).

const SFX_SEP = "\u0001";
//: Kinds that carry values; the rest (fdr, frd, fddi) are indirect and hidden until the fdr toggle.
const SFX_DATA_KINDS = new Set(["fdd"]);

function sfxTableKey(tableId) {
  return "t" + tableId;
}

function sfxColumnKey(tableId, column) {
  return "c" + tableId + SFX_SEP + column;
}

function sfxEdgeEnds(edge) {
  // A column edge joins two columns; a table-level arrow (no column names) joins two tables.
  if (edge.source_column != null && edge.target_column != null) {
    return [sfxColumnKey(edge.source, edge.source_column), sfxColumnKey(edge.target, edge.target_column)];
  }
  return [sfxTableKey(edge.source), sfxTableKey(edge.target)];
}

function sfxAddTo(map, key, value) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sfxIndex(scene) {
  const tables = new Map();
  const edges = new Map();
  const incoming = new Map();
  const outgoing = new Map();
  for (const table of scene.tables || []) tables.set(String(table.id), table);
  for (const edge of scene.edges || []) {
    edges.set(String(edge.id), edge);
    const [from, to] = sfxEdgeEnds(edge);
    sfxAddTo(outgoing, from, edge);
    sfxAddTo(incoming, to, edge);
  }
  return { tables, edges, incoming, outgoing };
}

function sfxEdgeShown(edge, showIndirect) {
  return showIndirect || SFX_DATA_KINDS.has(edge.kind);
}

// Where a column row sits in scene coordinates (its centre), or the table header when collapsed.
function sfxColumnPoint(table, column) {
  const row = table.expanded ? (table.columns || []).find((c) => c.name === column) : null;
  const y = row ? row.y : (table.header_height || 24) / 2;
  return { x: table.x + table.width / 2, y: table.y + y };
}
