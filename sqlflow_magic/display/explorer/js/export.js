// Export: the whole graph as it looks now (expanded boxes, trace, fdr toggle) as an SVG file, or as a
// PNG drawn from that SVG on a canvas in the browser. The file carries the explorer's own CSS rules with
// the theme's colours resolved, so it looks the same outside JupyterLab. Nothing leaves the browser.

const SFX_PNG_MAX_SIDE = 8192; // Chromium refuses bigger canvases; the scale shrinks to fit
const SFX_VARIABLES = ["--sfx-bg", "--sfx-fg", "--sfx-muted", "--sfx-box", "--sfx-box-border", "--sfx-view",
  "--sfx-view-border", "--sfx-other", "--sfx-other-border", "--sfx-edge", "--sfx-edge-indirect",
  "--sfx-hit", "--sfx-match", "--sfx-font", "--sfx-mono"];

// The explorer's rules, read back from the stylesheet anywidget injected (_css).
function sfxOwnRules() {
  const rules = [];
  for (const sheet of document.styleSheets) {
    let list;
    try {
      list = sheet.cssRules;
    } catch (error) {
      continue; // a cross-origin sheet: not ours
    }
    for (const rule of list) if (rule.selectorText && rule.selectorText.includes(".sfx-")) rules.push(rule.cssText);
  }
  return rules.join("\n");
}

function sfxExportSvgText(view) {
  const scene = view.scene;
  const clone = view.svg.cloneNode(true);
  const computed = getComputedStyle(view.root);
  const variables = SFX_VARIABLES.map((name) => `${name}: ${computed.getPropertyValue(name).trim()};`);
  clone.setAttribute("xmlns", SFX_SVG_NS);
  clone.setAttribute("class", view.root.className + " sfx-export");
  clone.setAttribute("width", String(Math.ceil(scene.width)));
  clone.setAttribute("height", String(Math.ceil(scene.height)));
  clone.setAttribute("viewBox", `0 0 ${Math.ceil(scene.width)} ${Math.ceil(scene.height)}`);
  clone.setAttribute("style", variables.join(" ") + " background: " + computed.getPropertyValue("--sfx-bg"));
  clone.querySelector(".sfx-stage").removeAttribute("transform");
  const style = document.createElementNS(SFX_SVG_NS, "style");
  style.textContent = sfxOwnRules();
  clone.insertBefore(style, clone.firstChild);
  const background = document.createElementNS(SFX_SVG_NS, "rect");
  Object.entries({ width: "100%", height: "100%", class: "sfx-export-background" })
    .forEach(([name, value]) => background.setAttribute(name, value));
  clone.insertBefore(background, style.nextSibling);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
}

function sfxDownload(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function sfxExportSvg(view) {
  sfxDownload(new Blob([sfxExportSvgText(view)], { type: "image/svg+xml" }), "lineage.svg");
}

function sfxExportPng(view) {
  const text = sfxExportSvgText(view);
  const { width, height } = view.scene;
  const scale = Math.min(2, SFX_PNG_MAX_SIDE / Math.max(width, height, 1));
  const image = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  image.onload = () => {
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext("2d");
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, width, height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => {
      if (blob) sfxDownload(blob, "lineage.png");
      else sfxStatus(view, "PNG export failed: the browser could not encode the canvas");
    }, "image/png");
  };
  image.onerror = () => {
    URL.revokeObjectURL(url);
    sfxStatus(view, "PNG export failed: the browser could not draw the SVG");
  };
  image.src = url;
}
