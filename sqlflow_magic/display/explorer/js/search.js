// Search: tables and columns by name (substring, case-insensitive). Typing marks the matching boxes
// (`sfx-match`); Enter focuses the next hit: it is centred and zoomed to a readable size, and a column
// of a collapsed table first asks the kernel to expand that table (the focus follows the new scene).

const SFX_FOCUS_SCALE = 0.8;

function sfxFindAll(scene, query) {
  const needle = query.trim().toLowerCase();
  if (!needle) return [];
  const tables = [];
  const columns = [];
  for (const table of scene.tables || []) {
    if (String(table.name).toLowerCase().includes(needle)) tables.push({ table: String(table.id) });
    for (const column of table.columns || []) {
      const label = String(column.label || column.name).toLowerCase();
      if (label.includes(needle) || String(column.name).toLowerCase().includes(needle)) {
        columns.push({ table: String(table.id), column: column.name });
      }
    }
  }
  return tables.concat(columns); // tables first: a table's name is what most searches mean
}

function sfxMarkMatches(view) {
  for (const element of view.root.querySelectorAll(".sfx-match")) element.classList.remove("sfx-match");
  for (const hit of view.search.hits) {
    const element = hit.column == null ? view.dom.tables.get(hit.table)
      : view.dom.columns.get(sfxColumnKey(hit.table, hit.column)) || view.dom.tables.get(hit.table);
    if (element) element.classList.add("sfx-match");
  }
  const count = view.search.hits.length;
  view.controls.count.textContent = view.search.query ? `${count} match${count === 1 ? "" : "es"}` : "";
}

function sfxSearch(view, query) {
  view.search = { query, hits: sfxFindAll(view.scene, query), next: 0 };
  sfxMarkMatches(view);
}

function sfxSetFocus(view, element) {
  for (const old of view.root.querySelectorAll(".sfx-focus")) old.classList.remove("sfx-focus");
  if (element) element.classList.add("sfx-focus");
}

// Focuses one item {table, column}: centres it, or expands its table first (answered by a scene).
function sfxFocus(view, hit) {
  const table = view.index.tables.get(hit.table);
  if (!table) return;
  view.focused = hit;
  if (hit.column != null && !table.expanded) {
    view.pendingFocus = hit;
    view.model.send({ event: "expand", table: table.id });
    return;
  }
  const point = hit.column == null ? { x: table.x + table.width / 2, y: table.y + table.height / 2 }
    : sfxColumnPoint(table, hit.column);
  sfxCentre(view, point.x, point.y, SFX_FOCUS_SCALE);
  sfxSetFocus(view, hit.column == null ? view.dom.tables.get(hit.table)
    : view.dom.columns.get(sfxColumnKey(hit.table, hit.column)));
  view.root.dataset.focused = hit.column == null ? hit.table : hit.table + "." + hit.column;
}

function sfxFocusNext(view) {
  const { hits } = view.search;
  if (!hits.length) return;
  const hit = hits[view.search.next % hits.length];
  view.search.next += 1;
  sfxFocus(view, hit);
}

// After a new scene: the search's marks again, and a focus that waited for an expansion.
function sfxSearchAfterScene(view) {
  view.search.hits = sfxFindAll(view.scene, view.search.query);
  sfxMarkMatches(view);
  const pending = view.pendingFocus;
  view.pendingFocus = null;
  if (pending && view.index.tables.get(pending.table)?.expanded) sfxTimed(view, "focus", () => sfxFocus(view, pending));
}
