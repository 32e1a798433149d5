// The toolbar above the drawing: search, the fdr and intermediate toggles, fit and zoom, expand all,
// export, the way back to the summary, and a status line with what the scene shows of the lineage.

function sfxButton(cls, label, title, parent) {
  const button = document.createElement("button");
  button.className = "sfx-button " + cls;
  button.type = "button";
  button.textContent = label;
  button.title = title;
  parent.appendChild(button);
  return button;
}

function sfxCheckbox(cls, label, title, parent) {
  const wrapper = document.createElement("label");
  wrapper.className = "sfx-toggle";
  wrapper.title = title;
  const box = document.createElement("input");
  box.type = "checkbox";
  box.className = cls;
  wrapper.append(box, document.createTextNode(" " + label));
  parent.appendChild(wrapper);
  return box;
}

function sfxControls(bar) {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "sfx-search";
  search.placeholder = "Search tables and columns (/)";
  search.setAttribute("aria-label", "Search tables and columns");
  const count = document.createElement("span");
  count.className = "sfx-search-count";
  bar.append(search, count);
  const controls = {
    search, count,
    fdr: sfxCheckbox("sfx-fdr", "fdr", "Show indirect edges (fdr, frd, fddi) beside data flow (fdd)", bar),
    intermediate: sfxCheckbox("sfx-intermediate", "intermediates",
      "Draw SQL intermediate result sets as boxes (asks the kernel for a new layout)", bar),
    fit: sfxButton("sfx-fit", "Fit", "Show the whole graph (f)", bar),
    zoomOut: sfxButton("sfx-zoom-out", "−", "Zoom out (-)", bar),
    zoomIn: sfxButton("sfx-zoom-in", "+", "Zoom in (+)", bar),
    expandAll: sfxButton("sfx-expand-all", "Expand all", "Show every table's columns", bar),
    summary: sfxButton("sfx-summary", "Back to summary", "Show the busiest tables again", bar),
    exportSvg: sfxButton("sfx-export-svg", "SVG", "Download the graph as it looks now as SVG", bar),
    exportPng: sfxButton("sfx-export-png", "PNG", "Download the graph as it looks now as PNG", bar),
  };
  const help = document.createElement("span");
  help.className = "sfx-help";
  help.textContent = "?";
  help.title = "Click a box or a column to trace its path; click an edge for its SQL. Drag to pan, wheel to zoom.\n"
    + "Keys: / search, Enter next hit, t trace the focused item, f fit, + and - zoom, Escape clear.";
  bar.appendChild(help);
  return controls;
}

// The status line: what part of the lineage the scene shows.
function sfxSceneStatus(scene) {
  const tables = (scene.tables || []).length;
  const parts = [`${tables} of ${scene.total_tables ?? tables} tables`];
  if (scene.mode === "summary") parts.push("summary: the busiest tables; click a +n badge for a neighbourhood");
  if (scene.mode === "neighbourhood") {
    const focus = (scene.tables || []).find((t) => String(t.id) === String(scene.focus));
    parts.push("neighbourhood of " + (focus ? focus.name : "a table") + "; Back to summary returns");
  }
  return parts.join(" · ");
}
