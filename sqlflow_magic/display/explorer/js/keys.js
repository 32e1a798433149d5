// Keyboard: `/` focuses the search box, Enter there focuses the next hit, `t` traces the focused item,
// `f` fits, `+`/`-` zoom; Escape leaves the search box, and then clears (trace, search, detail panel).
// Keys are taken only while the explorer has the focus, so JupyterLab's own shortcuts stay untouched.

function sfxBindKeys(view) {
  const { root, controls } = view;
  controls.search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      sfxTimed(view, "search-focus", () => sfxFocusNext(view));
    } else if (event.key === "Escape") {
      event.preventDefault();
      root.focus(); // leaves the box and keeps the focused item: a second Escape clears
    }
    event.stopPropagation(); // typing in the box is not a notebook command
  });
  root.addEventListener("keydown", (event) => {
    if (event.target === controls.search || event.ctrlKey || event.metaKey || event.altKey) return;
    const actions = {
      "/": () => controls.search.focus(),
      t: () => sfxTimed(view, "trace", () => sfxTraceFocused(view)),
      f: () => sfxTimed(view, "fit", () => sfxFit(view)),
      "+": () => sfxTimed(view, "zoom", () => sfxZoomBy(view, SFX_STEP)),
      "=": () => sfxTimed(view, "zoom", () => sfxZoomBy(view, SFX_STEP)),
      "-": () => sfxTimed(view, "zoom", () => sfxZoomBy(view, 1 / SFX_STEP)),
      Escape: () => sfxTimed(view, "clear", () => sfxClearAll(view)),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    event.stopPropagation(); // JupyterLab would take `f`, `t` or Escape as notebook commands
    action();
  });
}

function sfxTraceFocused(view) {
  const hit = view.focused;
  if (!hit) return;
  sfxTrace(view, hit.column == null ? sfxTableKey(hit.table) : sfxColumnKey(hit.table, hit.column));
}

function sfxClearAll(view) {
  sfxClearTrace(view);
  view.controls.search.value = "";
  sfxSearch(view, "");
  sfxSetFocus(view, null);
  view.focused = null;
  sfxHideDetail(view);
}
