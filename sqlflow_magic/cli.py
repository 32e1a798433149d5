"""The ``sqlflow-magic`` command: ``serve`` runs the local SQLFlow-compatible server; ``rotate-signing-key``
replaces the key its tokens are signed with."""

from __future__ import annotations

import argparse
import contextlib
import copy
import ipaddress
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlflow_magic._version import __version__
from sqlflow_magic.protocol import ON_PREMISE_USER_ID
from sqlflow_magic.server.config import ServerConfig, UsersFileError, default_db_path, parse_setting
from sqlflow_magic.server.signing_key import SigningKeyError, rotate_signing_key, signing_key_path

DEFAULT_PORT = 8165


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sqlflow-magic", description="Tools of sqlflow-magic.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the local SQLFlow-compatible server until Ctrl-C",
        description="Run the local SQLFlow-compatible server in the foreground until Ctrl-C.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on (default: %(default)s)")
    serve.add_argument("--db", type=Path, default=None, help=f"SQLite job database (default: {default_db_path()})")
    serve.add_argument(
        "--users-file",
        type=Path,
        default=None,
        help='JSON file {"userId": "secretKey", ...} of the users who may ask for tokens; '
        "read again when it changes or on SIGHUP",
    )
    serve.add_argument(
        "--allow-onprem-user",
        action="store_true",
        help=f"let the tokenless on-premise user {ON_PREMISE_USER_ID} in on a host other than loopback "
        "(on loopback it is always allowed)",
    )
    serve.add_argument(
        "--max-queued-jobs-per-user",
        type=_queued_jobs_cap,
        default=ServerConfig.max_queued_jobs_per_user,
        metavar="N",
        help="jobs one user may have waiting or being analysed; a submit past it is refused "
        "(default: %(default)s; 0: no cap)",
    )
    serve.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="NAME=VALUE",
        help="change one of the server's limits, e.g. --set max_request_sql_bytes=134217728 (repeat for more; "
        "the settings and their defaults: docs/security.md)",
    )
    rotate = commands.add_parser(
        "rotate-signing-key",
        help="replace the key the local server signs tokens with: every token it gave ends",
        description="Replace the token-signing key of a job database (the file <db>.signing-key beside it). "
        "Servers on that database use the new key from their next token check: every token signed before is "
        "refused, and clients that hold a secret key get a new token by themselves.",
    )
    rotate.add_argument("--db", type=Path, default=None, help=f"SQLite job database (default: {default_db_path()})")
    return parser


def _setting(text: str) -> tuple[str, int | float]:
    """``--set NAME=VALUE``: one of the server's limits (``ServerConfig.TUNABLE_SETTINGS``)."""
    try:
        return parse_setting(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _queued_jobs_cap(text: str) -> int | None:
    """``--max-queued-jobs-per-user``: a whole number, 0 for no cap."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of jobs (0: no cap)")
    return int(text) or None


def rotate(db_path: Path | None) -> int:
    """Replace the signing key of the job database ``db_path`` (default: the embedded server's); the exit status."""
    db_path = db_path or default_db_path()
    key_path = signing_key_path(db_path)
    if not db_path.exists() and not key_path.exists():
        print(f"sqlflow-magic: no job database at {db_path}: give the one the server uses with --db", file=sys.stderr)
        return 2
    try:
        rotate_signing_key(key_path)
    except OSError as exc:
        print(f"sqlflow-magic: cannot write the signing key file {key_path}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"sqlflow-magic: the signing key of {db_path} was replaced ({key_path}): every token signed with the "
          "old key is refused from now on, by running servers too; clients that hold a secret key get a new one")
    return 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (``127.0.0.0/8``, ``::1``, ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any address
        return False


def onprem_notice(host: str, allowed: bool) -> str:
    """What ``serve`` says at start about the on-premise user on a host other than loopback."""
    if allowed:
        return (f"sqlflow-magic: warning: the on-premise user {ON_PREMISE_USER_ID} needs no token, and anyone who "
                f"can reach {host} may use it (--allow-onprem-user); leave that option out to refuse it")
    return (f"sqlflow-magic: the on-premise user {ON_PREMISE_USER_ID} is refused because the server listens on "
            f"{host}, beyond this machine; users need a token from --users-file (--allow-onprem-user lets it in)")


@contextlib.contextmanager
def _reload_on_sighup(reload: Callable[[], None]) -> Iterator[None]:
    """Call ``reload`` on SIGHUP while serving, where this is the main thread of a POSIX process."""
    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGHUP, lambda _signal, _frame: reload())
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, previous)


def serve(host: str, port: int, db_path: Path | None, users_file: Path | None, allow_onprem_user: bool = False,
          max_queued_jobs_per_user: int | None = ServerConfig.max_queued_jobs_per_user,
          settings: Sequence[tuple[str, int | float]] = ()) -> int:
    """Serve in the foreground until interrupted; return the exit status.

    On a host other than loopback the on-premise user is refused unless ``allow_onprem_user``.
    ``max_queued_jobs_per_user`` and ``settings`` (``--set``): see :class:`ServerConfig` (None: no cap).
    A setting :class:`ServerConfig` refuses ends it at once, with its message."""
    from uvicorn.config import LOGGING_CONFIG

    from sqlflow_magic.server.app import create_app
    from sqlflow_magic.server.engine_build import engine_build
    from sqlflow_magic.server.runner import AppServer, listening_socket, uvicorn_config

    local = is_loopback(host)
    limits: dict[str, Any] = dict(settings)
    try:
        config = ServerConfig(host=host, port=port, users_file=users_file, allow_onprem_user=local or allow_onprem_user,
                              max_queued_jobs_per_user=max_queued_jobs_per_user, **limits)
    except ValueError as exc:
        print(f"sqlflow-magic: {exc}", file=sys.stderr)
        return 2
    if db_path is not None:
        config.db_path = db_path
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        print(f"sqlflow-magic: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    with sock:
        app = create_app(config)
        shown_host = f"[{host}]" if ":" in host else host
        print(f"sqlflow-magic local SQLFlow server: http://{shown_host}:{sock.getsockname()[1]}/gspLive_backend")
        print(f"sqlflow-magic lineage engine: {engine_build()}")
        if not local:
            print(onprem_notice(host, config.allow_onprem_user), file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        with _reload_on_sighup(app.state.context.access.users.request_reload):
            AppServer(uvicorn_config(app, log_config=_log_config(LOGGING_CONFIG))).run(sockets=[sock])
    return 0


def _log_config(uvicorn_logging: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging, and the server's own records (refused tokens, requeued jobs) on the same console."""
    config = copy.deepcopy(uvicorn_logging)
    config["loggers"]["sqlflow_magic"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sqlflow-magic`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "rotate-signing-key":
        return rotate(args.db)
    if args.command == "serve":
        try:
            return serve(args.host, args.port, args.db, args.users_file, args.allow_onprem_user,
                         args.max_queued_jobs_per_user, args.settings)
        except (UsersFileError, SigningKeyError) as exc:
            print(f"sqlflow-magic: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
