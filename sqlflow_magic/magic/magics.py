"""The IPython magics. A thin layer: options in, :class:`SQLFlowClient` calls, displays out.

Configuration (``%config SQLFlowMagics.<name> = value`` or ``c.SQLFlowMagics.<name>`` in
``ipython_config.py``) wins over the env vars ``SQLFLOW_URL``, ``SQLFLOW_USER_ID``,
``SQLFLOW_SECRET_KEY``, ``SQLFLOW_TOKEN`` and ``SQLFLOW_DBVENDOR``; an option on the magic line
wins over both. With none of them set, the magics use the embedded local SQLFlow server.
"""

from __future__ import annotations

import argparse
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from ..client.errors import ConfigurationError
from ..client.secrets import Secret, display_url, mask_identifier
from ..client.settings import normalize_base_url
from ..display.panel import widgets_available
from ..display.render import Table
from ..protocol import ON_PREMISE_USER_ID
from ..vendors import UnknownVendorError, resolve_vendor
from . import line_options as check
from .connections import Connections
from .effective_settings import EffectiveSettings, resolve_settings
from .following import check_outcome, follow, new_panel
from .submit_request import for_existing_job, preview, refuse_secrets_on_line, submit_request
from .submitted_texts import SUBMITTED

JOB_VARIABLE = "sqlflow_job"
CONFIG_TRAITS = ("base_url", "user_id", "default_vendor", "connect_timeout", "read_timeout", "request_deadline",
                 "max_answer_bytes", "ca_bundle", "max_retries", "max_cell_bytes", "local_server_db", "wait",
                 "max_wait")
_SECRET_ON_LINE = ("never put a {what} on the magic line: it is saved with the notebook. "
                   "{fix}")


@magics_class
class SQLFlowMagics(Magics):
    """Magics for Gudu SQLFlow: ``%%sqlflow_submit``, ``%sqlflow_config``, ``%sqlflow_login``."""

    base_url = Unicode(None, allow_none=True, help="SQLFlow base URL ending in /gspLive_backend "
                       "(a bare host is completed). Unset: the embedded local server.").tag(config=True)
    user_id = Unicode(None, allow_none=True, help="SQLFlow account id (userId).").tag(config=True)
    default_vendor = Unicode(None, allow_none=True, help="dbvendor used when --dbvendor is not given "
                             "(default dbvoracle).").tag(config=True)
    connect_timeout = Float(None, allow_none=True, help="Seconds to wait for a connection (10).").tag(config=True)
    read_timeout = Float(None, allow_none=True, help="Seconds to wait for an answer (120).").tag(config=True)
    request_deadline = Float(None, allow_none=True, help="Seconds a whole call may take: connect, upload, the "
                             "complete answer, retries (300; plus 1 s per 128 KiB uploaded).").tag(config=True)
    max_answer_bytes = Int(None, allow_none=True, help="Largest answer accepted, compressed or decoded "
                           "(256 MiB).").tag(config=True)
    ca_bundle = Unicode(None, allow_none=True, help="PEM file of CAs to trust for HTTPS.").tag(config=True)
    max_retries = Int(None, allow_none=True, help="Retries when it is safe (3).").tag(config=True)
    max_cell_bytes = Int(None, allow_none=True, help="Largest cell or file to upload (64 MiB).").tag(config=True)
    local_server_db = Unicode(None, allow_none=True, help="SQLite file of the embedded local server "
                              "(default: in the user data directory).").tag(config=True)
    wait = Bool(None, allow_none=True, help="Wait for every submitted job to finish, as with --wait "
                "(default False).").tag(config=True)
    max_wait = Float(None, allow_none=True, help="Longest wait for a job, in seconds (600).").tag(config=True)
    live_panels = Bool(None, allow_none=True, help="Show a running job as a live widget that updates in place "
                       "(default: in kernel front ends such as JupyterLab; not in terminal IPython). False for "
                       "plain-text front ends such as jupyter console.").tag(config=True)
    max_explorer_tables = Int(None, allow_none=True, help="Past this many tables, the lineage explorer of "
                              "%sqlflow_lineage --show starts from a summary (150).").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.connections = Connections()
        self._login_user: str | None = None
        self._login_secret: Secret | None = None

    @validate("base_url")
    def _check_base_url(self, proposal: dict[str, Any]) -> str | None:
        value: str | None = proposal["value"]
        if value:
            try:
                normalize_base_url(value)
            except ConfigurationError as exc:
                raise TraitError(str(exc)) from None
        return value

    @validate("default_vendor")
    def _check_vendor(self, proposal: dict[str, Any]) -> str | None:
        value: str | None = proposal["value"]
        try:
            return resolve_vendor(value) if value else value
        except UnknownVendorError as exc:
            raise TraitError(str(exc)) from None

    @validate("connect_timeout", "read_timeout", "request_deadline", "max_answer_bytes", "max_wait", "max_cell_bytes",
              "max_retries", "max_explorer_tables")
    def _check_positive(self, proposal: dict[str, Any]) -> float | int | None:
        value: float | int | None = proposal["value"]
        name = proposal["trait"].name
        lowest = 0 if name == "max_retries" else 1e-9
        if value is not None and value < lowest:
            raise TraitError(f"SQLFlowMagics.{name} must be {'0 or more' if lowest == 0 else 'positive'}, not {value}")
        return value

    @property
    def user_ns(self) -> dict[str, Any]:
        """The user's namespace, where the magics save ``sqlflow_job_id`` and ``sqlflow_job``."""
        return user_namespace(self)

    def live(self) -> bool:
        """Whether panels of running jobs are live widgets: ``live_panels``, or a kernel front end with widgets."""
        if self.live_panels is not None:
            return bool(self.live_panels) and widgets_available()
        return getattr(self.shell, "kernel", None) is not None and widgets_available()

    def close(self) -> None:
        """Close the clients and stop the embedded server (on ``%unload_ext``)."""
        self.connections.close()

    def effective_settings(self) -> EffectiveSettings:
        """The settings in force now (``%config`` values, ``SQLFLOW_*`` env vars, the login), each with its source."""
        configured = {name: getattr(self, name) for name in CONFIG_TRAITS}
        return resolve_settings(configured, login_secret=self._login_secret, login_user=self._login_user)

    # --- %%sqlflow_submit -----------------------------------------------------------------------

    @magic_arguments()
    @argument("-d", "--dbvendor", help="SQL dialect: a dbvendor such as dbvmssql, or mssql, sqlserver, "
              "oracle, postgres, snowflake, bigquery, ... (default: SQLFlowMagics.default_vendor)")
    @argument("-j", "--job-id", help="add this cell to an existing job, e.g. --job-id $sqlflow_job_id")
    @argument("-n", "--job-name", help="a name for a new job")
    @argument("--default-database", help="database assumed for unqualified names")
    @argument("--default-schema", help="schema assumed for unqualified names")
    @argument("--hostname", help="a live database to read metadata from: its host")
    @argument("--port", type=check.port_number, help="the live database's port")
    @argument("--database", help="the live database's database name")
    @argument("--account", help="the live database's account (user name)")
    @argument("--password-env", metavar="ENV_VAR", help="read the database password from this env var")
    @argument("--password-prompt", action="store_true", help="ask for the database password (getpass)")
    @argument("--schedule", metavar="CRON", help="run the job on a schedule, e.g. '0 1 * * *'")
    @argument("--no-schedule", action="store_true", help="with --job-id: stop running the job on a schedule")
    @argument("--on-top", action="store_true", help="pin the job at the top of the job list")
    @argument("--no-pin", action="store_true", help="with --job-id: unpin the job from the top of the job list")
    @argument("--no-incremental", action="store_true",
              help="with --job-id: replace the job's files instead of adding to them")
    @argument("--sqlsource", help="where the SQL came from (free text for SQLFlow)")
    @argument("--extra", help="free text passed as SQLFlow's 'extra' field")
    @argument("-f", "--file", action="append", default=[], metavar="PATH",
              help="attach a .sql or .zip file; repeatable; globs such as 'sql/*.sql' work")
    @argument("--filename", default="cell.sql", help="file name of the cell's SQL (default cell.sql)")
    @argument("--var", default="sqlflow_job_id", help="variable that receives the jobId (default sqlflow_job_id)")
    @argument("--wait", action="store_true", default=None,
              help="wait for the job to finish, showing progress, then draw its lineage (see SQLFlowMagics.wait)")
    @argument("--no-wait", action="store_false", dest="wait", help="do not wait, whatever SQLFlowMagics.wait says")
    @argument("--strict", action="store_true",
              help="with --wait: fail the cell on a partial success too (a failed job always fails it)")
    @argument("--dry-run", action="store_true", help="show the request, secrets masked, and send nothing")
    @argument("--password", help=argparse.SUPPRESS)
    @argument("--secret-key", help=argparse.SUPPRESS)
    @argument("--token", help=argparse.SUPPRESS)
    @line_cell_magic
    def sqlflow_submit(self, line: str, cell: str | None = None) -> None:
        """Upload the cell's SQL to SQLFlow's submitPersistJob and show the job in a panel.

        The cell is sent verbatim as one file (``cell.sql``); the line form ``%sqlflow_submit
        --file PATH`` sends files only. On success the jobId is saved in
        ``sqlflow_job_id`` (see ``--var``) and the job in ``sqlflow_job``; pass
        ``--job-id $sqlflow_job_id`` in a later cell to add more SQL to the same job. On failure
        neither variable changes.
        """
        args = check.parse_line(self.sqlflow_submit, line)
        refuse_secrets_on_line(args)
        config = self.effective_settings()
        wait = args.wait if args.wait is not None else config.wait.value
        if args.strict and not wait:  # refused before anything is sent: a refused cell leaves no job behind
            raise UsageError("--strict needs --wait: it fails the cell when the job does not fully succeed")
        request = submit_request(args, cell, config)
        var = check.variable_name(args.var)
        saved = self.user_ns.get(JOB_VARIABLE)
        if args.dry_run:
            request = for_existing_job(request, args, saved, None)
            display(preview(request, config, self.connections.running_embedded_url()))
            return
        client = self.connections.client(config)
        sent = for_existing_job(request, args, saved, client)
        job = client.submit_persist_job(sent)
        SUBMITTED.remember(str(client.settings.base_url), job.job_id, sent.files)  # the explorer's, OpenLineage's SQL
        self.user_ns[var] = job.job_id
        self.user_ns[JOB_VARIABLE] = job
        panel = new_panel(job, client, self.connections.server_info(client.settings), live=self.live())
        panel.show(following=wait)
        if wait:
            if not job.is_final:
                job = self.user_ns[JOB_VARIABLE] = follow(panel, client, config.max_wait.value)
            check_outcome(job, strict=args.strict)

    # --- %sqlflow_config and %sqlflow_login -----------------------------------------------------

    @line_magic
    def sqlflow_config(self, line: str) -> None:
        """Show each effective setting, its value (secrets masked) and where it came from.

        Precedence: magic option > %config / ipython_config.py > env var > default.
        """
        if line.strip():
            raise UsageError("%sqlflow_config takes no arguments; change settings with "
                             "%config SQLFlowMagics.<name> = <value>")
        rows = [(name, source, value) for name, value, source in self.effective_settings().rows()]
        display(Table("SQLFlow settings (option > %config > env > default)", ["setting", "source", "value"], rows))

    @line_magic
    def sqlflow_login(self, line: str) -> None:
        """Ask for the SQLFlow secret key with a hidden prompt and keep it in memory for this session.

        Usage: ``%sqlflow_login [USER_ID]`` (default: the configured user id). The key is checked by
        getting a token right away; it is never written to the notebook.
        """
        user = line.strip() or self._login_user or self.effective_settings().user_id.value
        if not user or user == ON_PREMISE_USER_ID:
            raise UsageError("give your SQLFlow user id: %sqlflow_login YOUR_USER_ID "
                             "(or set SQLFLOW_USER_ID)")
        secret = check.ask_secret(f"SQLFlow secret key for {mask_identifier(str(user))}: ",
                                  "the SQLFLOW_SECRET_KEY environment variable")
        if not secret.strip():
            raise UsageError("no secret key was entered: run %sqlflow_login again and paste the key")
        if secret != secret.strip():
            raise UsageError("the secret key has leading or trailing white space: paste it again without it")
        previous = (self._login_user, self._login_secret)
        self._login_user, self._login_secret = str(user), Secret(secret)
        try:
            config = self.effective_settings()
            client = self.connections.client(config)
            client.generate_token()
        except Exception:
            self._login_user, self._login_secret = previous
            raise
        print(f"Logged in to {display_url(client.settings.base_url)} as {mask_identifier(str(user))}; "
              "the key is kept in memory only.")


def user_namespace(magics: Magics) -> dict[str, Any]:
    """The namespace of the shell ``magics`` are registered with (magics always run in one)."""
    if magics.shell is None:
        raise UsageError("the SQLFlow magics are not registered with an IPython shell: run %load_ext sqlflow_magic")
    namespace: dict[str, Any] = magics.shell.user_ns
    return namespace
