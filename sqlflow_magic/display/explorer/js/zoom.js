// Zoom and pan: one transform on the stage <g> (translate, then scale), never a redraw.
// Wheel zooms around the pointer, a drag pans, Fit shows the whole graph, the buttons zoom by steps.

const SFX_MIN_SCALE = 0.02;
const SFX_MAX_SCALE = 4;
const SFX_STEP = 1.25;
const SFX_PAD = 16;

function sfxApplyTransform(view) {
  const { x, y, k } = view.zoom;
  view.stage.setAttribute("transform", `translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${k.toFixed(5)})`);
  view.root.dataset.scale = k.toFixed(4);
}

function sfxViewportSize(view) {
  return { width: view.viewport.clientWidth || 800, height: view.viewport.clientHeight || 500 };
}

// Zooms by `factor` keeping the viewport point (px, py) where it is.
function sfxZoomBy(view, factor, px, py) {
  const size = sfxViewportSize(view);
  const cx = px == null ? size.width / 2 : px;
  const cy = py == null ? size.height / 2 : py;
  const k = Math.min(SFX_MAX_SCALE, Math.max(SFX_MIN_SCALE, view.zoom.k * factor));
  const ratio = k / view.zoom.k;
  view.zoom = { k, x: cx - (cx - view.zoom.x) * ratio, y: cy - (cy - view.zoom.y) * ratio };
  view.autoFit = false;
  sfxApplyTransform(view);
}

// Shows the scene rectangle (x, y, width, height) whole and centred, at most at `maxScale`.
function sfxShowRect(view, x, y, width, height, maxScale) {
  const size = sfxViewportSize(view);
  const k = Math.max(SFX_MIN_SCALE, Math.min(maxScale, (size.width - 2 * SFX_PAD) / Math.max(width, 1),
    (size.height - 2 * SFX_PAD) / Math.max(height, 1)));
  view.zoom = { k, x: (size.width - width * k) / 2 - x * k, y: (size.height - height * k) / 2 - y * k };
  sfxApplyTransform(view);
}

function sfxFit(view) {
  const scene = view.scene;
  sfxShowRect(view, 0, 0, scene.width || 1, scene.height || 1, 1.5);
}

// Centres the scene point (x, y), zooming in to at least `minScale`.
function sfxCentre(view, x, y, minScale) {
  const size = sfxViewportSize(view);
  const k = Math.max(view.zoom.k, minScale);
  view.zoom = { k, x: size.width / 2 - x * k, y: size.height / 2 - y * k };
  view.autoFit = false;
  sfxApplyTransform(view);
}

function sfxBindZoom(view) {
  const target = view.viewport;
  target.addEventListener("wheel", (event) => {
    // only Ctrl/Cmd + wheel (and a trackpad's pinch, which the browser sends as one) zooms: a plain wheel
    // keeps scrolling the notebook past the explorer
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    const box = target.getBoundingClientRect();
    sfxTimed(view, "zoom", () => sfxZoomBy(view, Math.exp(-event.deltaY * 0.0015),
      event.clientX - box.left, event.clientY - box.top));
  }, { passive: false });
  let drag = null;
  target.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, zx: view.zoom.x, zy: view.zoom.y, moved: false };
  });
  target.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) target.setPointerCapture(event.pointerId);
    drag.moved = true;
    view.autoFit = false;
    view.zoom = { k: view.zoom.k, x: drag.zx + dx, y: drag.zy + dy };
    sfxApplyTransform(view);
  });
  const end = (event) => {
    // A drag that moved is a pan, not a click: the click after it is ignored (see main.js).
    view.panned = !!(drag && drag.moved);
    if (drag && drag.moved && target.hasPointerCapture(event.pointerId)) target.releasePointerCapture(event.pointerId);
    drag = null;
  };
  target.addEventListener("pointerup", end);
  target.addEventListener("pointercancel", end);
}
