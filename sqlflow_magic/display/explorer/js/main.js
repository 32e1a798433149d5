// The explorer's entry point (anywidget's render): builds the frame once, draws each scene the kernel
// sends, and routes clicks. Python owns data and layout (docs/explorer.md, "Contract"); this side draws.

// Runs an interaction and records its duration in the root's data-last-ms, including the style and
// layout work it causes (the forced layout read; not the paint), as the benchmark reports it.
function sfxTimed(view, action, fn) {
  const start = performance.now();
  fn();
  void view.root.getBoundingClientRect(); // forces the style and layout work now, into the figure
  view.root.dataset.lastMs = (performance.now() - start).toFixed(2);
  view.root.dataset.lastAction = action;
}

function sfxStatus(view, text) {
  view.status.textContent = text;
}

function sfxScenePoint(view, event) {
  const box = view.viewport.getBoundingClientRect();
  return { x: (event.clientX - box.left - view.zoom.x) / view.zoom.k,
    y: (event.clientY - box.top - view.zoom.y) / view.zoom.k };
}

function sfxOnClick(view, event) {
  if (view.panned) return void (view.panned = false);
  const target = event.target;
  const more = target.closest(".sfx-more");
  const toggle = target.closest(".sfx-expand");
  const column = target.closest(".sfx-column");
  const table = target.closest(".sfx-table");
  const edge = target.closest(".sfx-edge");
  if (more) {
    view.sentAt = performance.now();
    return view.model.send({ event: "neighbourhood", table: view.index.tables.get(more.dataset.table).id, depth: 1 });
  }
  if (toggle) {
    const id = view.index.tables.get(toggle.dataset.table).id;
    view.sentAt = performance.now();
    return view.model.send({ event: toggle.closest(".sfx-table").dataset.expanded === "1" ? "collapse" : "expand", table: id });
  }
  if (column) {
    view.focused = { table: column.dataset.table, column: column.dataset.column };
    return sfxTimed(view, "trace", () => sfxTrace(view, sfxColumnKey(column.dataset.table, column.dataset.column)));
  }
  if (table) {
    view.focused = { table: table.dataset.id };
    return sfxTimed(view, "trace", () => sfxTrace(view, sfxTableKey(table.dataset.id)));
  }
  const point = sfxScenePoint(view, event);
  const near = edge ? view.index.edges.get(edge.dataset.id) : sfxEdgeNear(view, point.x, point.y);
  if (near) return sfxShowDetail(view, near.id);
  sfxTimed(view, "clear", () => sfxClearTrace(view));
}

function sfxShowScene(view, first) {
  const scene = view.model.get("scene") || {};
  const trace = view.trace;
  if (view.dom) sfxClearTrace(view); // kept elements must not keep the old marks
  view.scene = scene;
  view.index = sfxIndex(scene);
  view.dom = sfxDraw(view.stage, scene, view.dom);
  sfxStatus(view, sfxSceneStatus(scene));
  view.controls.summary.hidden = scene.mode !== "neighbourhood";
  view.controls.intermediate.checked = !!(view.model.get("options") || {}).intermediate;
  view.viewport.style.height = Math.max(220, Math.min(640, (scene.height || 0) + 2 * SFX_PAD)) + "px";
  if (first) sfxFit(view);
  if (trace && (trace[0] === "t" ? view.dom.tables.has(trace.slice(1)) : view.dom.columns.has(trace))) sfxTrace(view, trace);
  sfxSearchAfterScene(view);
  view.root.dataset.ready = "1";
  view.root.dataset.sceneTables = String((scene.tables || []).length);
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sqlflow-explorer";
  root.tabIndex = 0;
  // JupyterLab's command-mode shortcuts (f, t, Escape, ...) stop at this element: keys.js takes them here.
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const bar = document.createElement("div");
  bar.className = "sfx-bar";
  const viewport = document.createElement("div");
  viewport.className = "sfx-viewport";
  const svg = sfxSvg("svg", { class: "sfx-svg", width: "100%", height: "100%" });
  sfxDrawMarkers(svg);
  const stage = sfxSvg("g", { class: "sfx-stage" }, svg);
  viewport.appendChild(svg);
  const status = document.createElement("div");
  status.className = "sfx-status";
  const detail = document.createElement("div");
  detail.className = "sfx-detail";
  detail.hidden = true;
  root.append(bar, viewport, status, detail);
  el.appendChild(root);
  const view = { model, root, svg, stage, viewport, status, detail, controls: sfxControls(bar),
    zoom: { x: 0, y: 0, k: 1 }, showIndirect: false, trace: null, focused: null, pendingFocus: null,
    search: { query: "", hits: [], next: 0 }, sentAt: null, panned: false, autoFit: true, dom: null };
  const c = view.controls;
  c.search.addEventListener("input", () => sfxTimed(view, "search", () => sfxSearch(view, c.search.value)));
  c.fdr.addEventListener("change", () => sfxTimed(view, "fdr", () => {
    view.showIndirect = c.fdr.checked;
    root.classList.toggle("sfx-show-indirect", view.showIndirect);
    if (view.trace) sfxTrace(view, view.trace);
  }));
  c.intermediate.addEventListener("change", () => {
    view.sentAt = performance.now();
    model.send({ event: "options", intermediate: c.intermediate.checked });
  });
  c.fit.addEventListener("click", () => sfxTimed(view, "fit", () => sfxFit(view)));
  c.zoomIn.addEventListener("click", () => sfxTimed(view, "zoom", () => sfxZoomBy(view, SFX_STEP)));
  c.zoomOut.addEventListener("click", () => sfxTimed(view, "zoom", () => sfxZoomBy(view, 1 / SFX_STEP)));
  c.expandAll.addEventListener("click", () => { view.sentAt = performance.now(); model.send({ event: "expand_all" }); });
  c.summary.addEventListener("click", () => { view.sentAt = performance.now(); model.send({ event: "summary" }); });
  c.exportSvg.addEventListener("click", () => sfxExportSvg(view));
  c.exportPng.addEventListener("click", () => sfxExportPng(view));
  svg.addEventListener("click", (event) => sfxOnClick(view, event));
  sfxBindZoom(view);
  sfxBindKeys(view);
  const onScene = () => {
    sfxTimed(view, "scene", () => sfxShowScene(view, false));
    // end to end: from the message sent to the new scene drawn (its style and layout included)
    if (view.sentAt != null) root.dataset.roundTripMs = (performance.now() - view.sentAt).toFixed(1);
    view.sentAt = null;
  };
  const onOptions = () => { c.intermediate.checked = !!(model.get("options") || {}).intermediate; };
  const onMessage = (message) => {
    if (message && message.event === "sql") sfxDetailAnswer(view, message);
  };
  model.on("change:scene", onScene);
  model.on("change:options", onOptions);
  model.on("msg:custom", onMessage);
  // The first fit needs the viewport's size, known once the output is attached to the page; until the
  // user moves the view, a resize (the output attached, the window resized) fits again.
  sfxShowScene(view, true);
  const resize = new ResizeObserver(() => { if (view.autoFit && view.viewport.clientWidth) sfxFit(view); });
  resize.observe(viewport);
  return () => {
    model.off("change:scene", onScene);
    model.off("change:options", onOptions);
    resize.disconnect();
    model.off("msg:custom", onMessage);
  };
}

export default { render };
