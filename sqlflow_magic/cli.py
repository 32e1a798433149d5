"""The ``sqlflow-magic`` command: ``sqlflow-magic serve`` runs the local SQLFlow-compatible server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlflow_magic._version import __version__
from sqlflow_magic.server.config import ServerConfig, UsersFileError, default_db_path, load_users_file

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
        help='JSON file {"userId": "secretKey", ...} of the users who may ask for tokens',
    )
    return parser


def serve(host: str, port: int, db_path: Path | None, users_file: Path | None) -> int:
    """Serve in the foreground until interrupted; return the exit status."""
    from uvicorn.config import LOGGING_CONFIG

    from sqlflow_magic.server.app import create_app
    from sqlflow_magic.server.runner import AppServer, listening_socket, uvicorn_config

    users = load_users_file(users_file) if users_file is not None else {}
    config = ServerConfig(host=host, port=port, users=users)
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
        sys.stdout.flush()
        AppServer(uvicorn_config(app, log_config=LOGGING_CONFIG)).run(sockets=[sock])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sqlflow-magic`` console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        try:
            return serve(args.host, args.port, args.db, args.users_file)
        except UsersFileError as exc:
            print(f"sqlflow-magic: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
