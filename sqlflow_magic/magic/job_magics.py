"""Magics that follow jobs after the submit: ``%sqlflow_status``, ``%sqlflow_jobs``, ``%sqlflow_delete``,
``%sqlflow_lineage``. They share the configuration and connections of :class:`SQLFlowMagics`.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from ..client.errors import InputError
from ..client.models import PICTURE, Job, LineageOptions
from ..display.render import Table
from ..protocol import RELATION_TYPES, JobStatus
from . import line_options as check
from .following import check_outcome, follow, new_panel
from .magics import JOB_VARIABLE, user_namespace
from .submitted_texts import SUBMITTED

if TYPE_CHECKING:
    from ..client.sqlflow_client import SQLFlowClient
    from .magics import SQLFlowMagics

#: How ``%sqlflow_jobs`` counts each status, in the order a job goes through them.
STATUS_WORDS = tuple((status.value, status.label) for status in JobStatus)


@magics_class
class SQLFlowJobMagics(Magics):
    """Job magics; ``core`` is the :class:`SQLFlowMagics` that holds configuration and connections."""

    def __init__(self, shell: Any, core: SQLFlowMagics) -> None:
        super().__init__(shell=shell)
        self.core = core

    def _client(self) -> SQLFlowClient:
        return self.core.connections.client(self.core.effective_settings())

    def _job_id(self, given: str | None, var: str = "sqlflow_job_id") -> str:
        if given:  # these magics take the job id as their argument, not as --job-id
            return check.job_id(given, saved=f"${var}, or leave it out")
        saved = user_namespace(self).get(var)
        if not isinstance(saved, str):
            raise UsageError(f"no job id given and no saved {var}: submit with %%sqlflow_submit first, "
                             "or name a job (%sqlflow_jobs lists them)")
        return check.job_id(saved)

    @magic_arguments()
    @argument("job_id", nargs="?", help="the job (default: the saved sqlflow_job_id)")
    @argument("--wait", action="store_true", help="wait until the job is finished, showing progress; the cell "
              "fails if the job fails")
    @argument("--strict", action="store_true", help="with --wait: fail the cell on a partial success too")
    @line_magic
    def sqlflow_status(self, line: str) -> None:
        """Show the panel of a job: status, files, errors and, once done, its lineage picture."""
        args = check.parse_line(self.sqlflow_status, line)
        if args.strict and not args.wait:
            raise UsageError("--strict needs --wait: it fails the cell when the job does not fully succeed")
        self._show_panel(self._job_id(args.job_id), self._client(), wait=args.wait, strict=args.strict)

    def _show_panel(self, job_id: str, client: SQLFlowClient, *, wait: bool, strict: bool = False) -> None:
        panel = new_panel(client.job_summary(job_id), client, self.core.connections.server_info(client.settings),
                          live=self.core.live())
        panel.show(following=wait)
        self._keep_saved_job(panel.job)
        if wait and not panel.job.is_final:
            job = follow(panel, client, self.core.effective_settings().max_wait.value)
            self._keep_saved_job(job)
            check_outcome(job, strict=strict)
        elif wait:
            check_outcome(panel.job, strict=strict)

    def _keep_saved_job(self, job: Job) -> None:
        """The saved ``sqlflow_job`` follows what the server last said about it (never another job)."""
        saved = user_namespace(self).get(JOB_VARIABLE)
        if isinstance(saved, Job) and saved.job_id == job.job_id:
            user_namespace(self)[JOB_VARIABLE] = job

    @line_magic
    def sqlflow_jobs(self, line: str) -> None:
        """List your jobs: id, name, status, vendor, files and creation time."""
        if line.strip():
            raise UsageError("%sqlflow_jobs takes no arguments")
        listing = self._client().jobs_summary()
        rows = [[j.job_id, j.job_name, j.status, j.db_vendor, ", ".join(j.file_names), j.create_time]
                for j in sorted(listing.jobs, key=lambda j: j.create_time, reverse=True)]
        counts = Counter(job.status for job in listing.jobs)
        shown = ", ".join(f"{counts[status]} {label}" for status, label in STATUS_WORDS if counts[status])
        title = f"{listing.total} SQLFlow job{'s' if listing.total != 1 else ''}: {shown or 'none'}"
        display(Table(title, ["job id", "name", "status", "vendor", "files", "created"], rows))

    @magic_arguments()
    @argument("job_id", help="the job to delete")
    @argument("-y", "--yes", action="store_true", help="delete without asking")
    @line_magic
    def sqlflow_delete(self, line: str) -> None:
        """Delete a job and its files from SQLFlow. Asks first, unless ``--yes``."""
        args = check.parse_line(self.sqlflow_delete, line)
        job_id = check.job_id(args.job_id, saved="$sqlflow_job_id")
        if not args.yes:
            try:
                answer = input(f"Delete SQLFlow job {job_id}? [y/N] ")
            except (StdinNotImplementedError, EOFError, OSError):
                raise UsageError("cannot ask for confirmation here: add --yes to delete without asking") from None
            if answer.strip().lower() not in ("y", "yes"):
                print("Not deleted.")
                return
        job = self._client().delete_job(job_id)
        print(f"Deleted job {job.job_id} ({job.job_name or 'no name'}).")

    @magic_arguments()
    @argument("job_id", nargs="?", help="the job (default: the saved sqlflow_job_id)")
    @argument("--table-level", action="store_true", help="table-to-table lineage only (no columns)")
    @argument("--format", choices=("json", "csv", "graphml", "openlineage"), default="json",
              help="export format (json); openlineage: the job's OpenLineage events, a JSON list")
    @argument("--events", choices=("run", "job"), help="with --format openlineage: RunEvents (run, the default) "
              "or static JobEvents (job)")
    @argument("--emit", action="store_true", help="with --format openlineage: send the events through the "
              "OpenLineage client's configured transport (OPENLINEAGE_URL, openlineage.yml)")
    @argument("--authority", metavar="HOST:PORT", help="with --format openlineage: the data source's host and "
              "port (or account) in the datasets' namespace")
    @argument("--job-namespace", metavar="NAME", help="with --format openlineage: the OpenLineage jobs' "
              "namespace (sqlflow)")
    @argument("--relations", metavar="TYPES", help="relationship types to export, a comma list of "
              f"{', '.join(RELATION_TYPES)} (SQLFlow's showRelationType; the server's default is fdd)")
    @argument("--show-result-sets", action="store_true",
              help="keep the result sets that only pass data on (ignoreRecordSet=false)")
    @argument("--show-functions", action="store_true", help="keep function objects (ignoreFunction=false)")
    @argument("--database", help="only the lineage of objects in this database")
    @argument("--schema", help="only the lineage of objects in this schema")
    @argument("--table", help="only the lineage of this table or view")
    @argument("--column", help="only the lineage of columns of this name")
    @argument("--out", metavar="FILE", help="also write the export to this file")
    @argument("--var", default="sqlflow_lineage", help="variable for the result (default sqlflow_lineage)")
    @argument("--show", action="store_true", help="draw the lineage (fdd and fdr, unless --relations says otherwise): "
              "the explorer in a kernel front end with widgets, else the static picture")
    @argument("--static", action="store_true", help="with --show: the static picture only, not the explorer")
    @argument("--wait", action="store_true", help="wait for the job to finish first")
    @line_magic
    def sqlflow_lineage(self, line: str) -> None:
        """Fetch a job's lineage: JSON (parsed), CSV (a pandas DataFrame, or a list of dicts without
        pandas) or GraphML (text); store it in a variable, write it to a file, draw it.

        What the export holds is SQLFlow's choice unless an option asks otherwise (``--relations``,
        ``--show-result-sets``, ``--show-functions``, the filters); the picture of ``--show`` asks for
        ``fdd,fdr`` so that it can draw both kinds of flow.
        """
        args = check.parse_line(self.sqlflow_lineage, line)
        if args.static and not args.show:
            raise UsageError("--static needs --show: it draws the static picture instead of the explorer")
        var = check.variable_name(args.var)
        if args.format == "openlineage" or args.events or args.emit or args.authority or args.job_namespace:
            self._openlineage(args, var)
            return
        options = LineageOptions(
            relation_types=check.relation_types(args.relations) if args.relations else None,
            show_result_sets=True if args.show_result_sets else None,
            show_functions=True if args.show_functions else None, table_level=args.table_level,
            database=args.database, schema=args.schema, table=args.table, column=args.column)
        job_id = self._job_id(args.job_id)
        client = self._client()
        if args.wait:
            self._show_panel(job_id, client, wait=True)
        text, value = _export(client, job_id, args.format, options)
        if args.out:
            _write(Path(args.out).expanduser(), text)
        user_namespace(self)[var] = value
        if args.show:
            from ..display.lineage_view import LineageView

            explorer = not args.static and self.core.live()
            picture = options if options.relation_types else replace(options, relation_types=PICTURE.relation_types)
            if explorer and options.show_result_sets is None:  # the intermediates its toggle draws as boxes
                picture = replace(picture, show_result_sets=True)
            shown = value if args.format == "json" and picture == options else client.export_lineage_json(
                job_id, picture)
            if not explorer:
                display(LineageView(shown))
            else:  # the explorer, after the static picture that saved notebooks keep
                from ..display.explorer import LineageExplorer
                from ..display.explorer.scene import MAX_EXPLORER_TABLES

                submitted = _submitted_sql(client, job_id)
                widget = LineageExplorer(shown, job_id=job_id, sql=submitted,
                                         max_tables=self.core.max_explorer_tables or MAX_EXPLORER_TABLES)
                display(widget.saved_form())  # what a notebook reopened without its kernel shows
                display(widget)
        written = f", written to {args.out}" if args.out else ""
        print(f"Lineage of job {job_id} ({args.format}{', table level' if args.table_level else ''}) "
              f"is in {var}{written}.")


    def _openlineage(self, args: Any, var: str) -> None:
        """``--format openlineage``: the events in ``var``, written with ``--out``, sent with ``--emit``."""
        from .openlineage_export import check_openlineage_options, export_openlineage

        check_openlineage_options(args)
        job_id = self._job_id(args.job_id)
        client = self._client()
        if args.wait:
            self._show_panel(job_id, client, wait=True)
        exported = export_openlineage(
            client, job_id, kind=args.events or "run", files=_submitted_sql(client, job_id),
            authority=args.authority, job_namespace=args.job_namespace)
        if args.out:
            _write(Path(args.out).expanduser(), exported.text)
        user_namespace(self)[var] = exported.value
        if args.show:
            from ..display.lineage_view import LineageView

            display(LineageView(client.export_lineage_json(job_id, PICTURE)))
        written = f", written to {args.out}" if args.out else ""
        print(f"OpenLineage events of job {job_id} ({len(exported.value)} {exported.kind} events) are in "
              f"{var}{written}.")
        if args.emit:
            from .openlineage_export import emit_exported

            print(emit_exported(exported))


def _submitted_sql(client: SQLFlowClient, job_id: str) -> dict[str, str]:
    """The SQL this kernel submitted for the job, with this client's secrets masked (by value, every form)."""
    return {name: client.scrub(text) for name, text in SUBMITTED.files(str(client.settings.base_url), job_id).items()}


def _export(client: SQLFlowClient, job_id: str, fmt: str, options: LineageOptions) -> tuple[str, Any]:
    if fmt == "json":
        data = client.export_lineage_json(job_id, options)
        return json.dumps(data, indent=2, ensure_ascii=False), data
    if fmt == "graphml":
        text = client.export_lineage_graphml(job_id, options)
        return text, text
    text = client.export_lineage_csv(job_id, options)
    return text, _csv_value(text)


def _csv_value(text: str) -> Any:
    import csv

    records = list(csv.DictReader(io.StringIO(text)))
    try:
        import pandas
    except ImportError:
        return records
    return pandas.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}",
                         hint="Choose a path in a folder you may write to") from None
