// The live job panel (an anywidget front end): the job table, a Refresh button and a note.
// The kernel owns every value; the button only asks it for a refresh.

function render({ model, el }) {
  el.classList.add("sqlflow-panel");
  const job = document.createElement("div");
  const bar = document.createElement("div");
  bar.className = "sqlflow-panel-bar";
  const button = document.createElement("button");
  button.className = "jupyter-button widget-button sqlflow-refresh";
  button.title = "Ask SQLFlow for this job's latest status";
  button.innerHTML = '<i class="fa fa-refresh"></i> Refresh';
  const note = document.createElement("span");
  note.className = "sqlflow-note";
  bar.append(button, note);
  el.append(job, bar);

  const show = () => {
    job.innerHTML = model.get("job_html"); // built and escaped by the kernel (render.job_html)
    note.textContent = model.get("note");
    bar.hidden = !model.get("refreshable") && !model.get("note");
    button.hidden = !model.get("refreshable");
  };
  const done = (message) => {
    if (message && message.event === "refreshed") button.disabled = false;
  };
  const refresh = () => {
    button.disabled = true;
    model.send({ event: "refresh" });
  };
  button.addEventListener("click", refresh);
  model.on("change:job_html", show);
  model.on("change:note", show);
  model.on("change:refreshable", show);
  model.on("msg:custom", done);
  show();
  return () => {
    model.off("change:job_html", show);
    model.off("change:note", show);
    model.off("change:refreshable", show);
    model.off("msg:custom", done);
  };
}

export default { render };
