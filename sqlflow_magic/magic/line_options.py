"""Checks and conversions for ``%%sqlflow_submit`` options: each problem is a ``UsageError`` saying the fix."""

from __future__ import annotations

import argparse
import difflib
import glob
import keyword
import os
import re
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring

from ..client.models import UploadFile
from ..client.secrets import Secret
from ..protocol import RELATION_TYPES, cron_problem, is_job_id
from ..vendors import UnknownVendorError, resolve_vendor

TEXT_SUFFIXES = (".sql", ".txt", ".ddl", ".hql", ".pls", ".pks", ".pkb", ".prc", ".bteq")


def parse_line(magic: Any, line: str) -> argparse.Namespace:
    """The options of ``magic`` (declared with ``magic_arguments``) on ``line``, quotes stripped.

    A line that cannot be read is a one-line ``UsageError`` that never repeats a value of the line: a value
    given to an unknown, ambiguous or misspelt option may be a secret (``--passwd s3cret``), and the error
    would stay in the notebook's output after the line is fixed.
    """
    function = getattr(magic, "__func__", magic)
    try:
        return unquote(parse_argstring(function, line))
    except ValueError as exc:  # shlex splitting the line: "No closing quotation"
        raise UsageError(f"cannot split the line into options ({str(exc).lower()}): close the quote, "
                         "or escape it with a backslash") from None
    except UsageError as exc:
        raise UsageError(_with_suggestions(_without_values(str(exc)), function)) from None


_UNKNOWN = re.compile(r"unrecognized arguments: (.*)")
#: argparse's messages that repeat a value: an ambiguous ``--opt=value``, a value given to a flag.
_AMBIGUOUS_VALUE = re.compile(r"(ambiguous option: [^=\s]+)=.*?( could match )")
_FLAG_VALUE = re.compile(r"ignored explicit argument .*")


def _without_values(message: str) -> str:
    """argparse's ``message`` without the values it repeats (see :func:`parse_line`)."""
    message = _AMBIGUOUS_VALUE.sub(r"\1\2", message)
    return _FLAG_VALUE.sub("takes no value", message)


def _with_suggestions(message: str, function: Any) -> str:
    """argparse's "unrecognized arguments: --jobname x" as "unrecognized option --jobname: did you mean
    --job-name?", each option with its closest match; the words that are not options are counted, not shown."""
    found = _UNKNOWN.search(message)
    if not found:
        return message
    known = sorted(set(re.findall(r"--[a-z][a-z-]*", function.parser.format_help())))
    words = found[1].split()
    hints = []
    for word in words:
        if word.startswith("-"):
            name = word.split("=")[0]
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hints.append(f"{name}: did you mean {close[0]}?" if close else f"{name}: no such option")
    others = len(words) - len(hints)
    help_line = f" (%{function.__name__}? lists them)" if hasattr(function, "__name__") else ""
    not_shown = f"{others} word{'s' if others > 1 else ''} not shown (a value may be a secret)"
    if not hints:
        return f"unrecognized arguments: {not_shown}{help_line}"
    return f"unrecognized option {'; '.join(hints + ([not_shown] if others else []))}{help_line}"


def unquote(args: argparse.Namespace) -> argparse.Namespace:
    """Strip one pair of matching quotes from string options: IPython splits magic lines keeping them."""

    def strip(value: object) -> object:
        if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            return value[1:-1]
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    for name, value in vars(args).items():
        setattr(args, name, strip(value))
    return args


def port_number(text: str) -> int:
    """argparse ``type`` for ``--port``."""
    text = text.strip("'\"")
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()) or not 1 <= int(digits) <= 65535:  # "²".isdigit() too
        raise argparse.ArgumentTypeError(f"the port must be a number from 1 to 65535, not {text!r}")
    return int(text)


def vendor(name: str) -> str:
    try:
        return resolve_vendor(name)
    except UnknownVendorError as exc:
        raise UsageError(str(exc)) from None


def job_id(value: str, saved: str = "--job-id $sqlflow_job_id") -> str:
    """A jobId as given on a line; ``saved`` is how that magic takes the saved one (named in the error)."""
    text = value.strip().lower()
    if text.startswith("$"):
        raise UsageError(f"{value} is not defined: submit a first cell without --job-id, which saves "
                         "its jobId in sqlflow_job_id")
    if not is_job_id(text):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise UsageError(f"malformed jobId {shown!r}: SQLFlow job ids are 32 hex characters; "
                         f"pass a saved one with {saved}")
    return text


def relation_types(text: str) -> tuple[str, ...]:
    """``--relations``: a comma list of SQLFlow relationship types, e.g. ``fdd,fdr``."""
    types = tuple(dict.fromkeys(part.strip().lower() for part in text.strip("'\"").split(",") if part.strip()))
    unknown = [kind for kind in types if kind not in RELATION_TYPES]
    if unknown or not types:
        shown = ", ".join(map(repr, unknown)) or "no type"  # repr: a type may hold a line break
        raise UsageError(f"--relations {text!r}: {shown} is not a relationship type; "
                         f"give a comma list of {', '.join(RELATION_TYPES)}, e.g. --relations fdd,fdr")
    return types


def file_name(name: str) -> str:
    """``--filename``: the name SQLFlow shows for the cell's file."""
    if not name.strip() or "/" in name or "\\" in name or name in (".", ".."):
        raise UsageError(f"--filename {name!r} must be a plain file name such as cell.sql, without folders")
    return name


def variable_name(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(f"--var {name!r} is not a Python variable name: use letters, digits and _")
    return name


def cron_expression(text: str) -> str:
    """``--schedule``: a five-field cron expression; a bad field is named with its range."""
    expr = " ".join(text.split())
    problem = cron_problem(expr)
    if problem:
        raise UsageError(f"--schedule {text!r}: {problem}: e.g. --schedule '0 1 * * *' for 01:00 daily")
    return expr


def password(env_name: str | None, prompt: bool) -> Secret | None:
    """The database password from an env var or a getpass prompt; never from the magic line."""
    if env_name and prompt:
        raise UsageError("give either --password-env or --password-prompt, not both")
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise UsageError(f"--password-env {env_name}: that environment variable is not set; "
                             f"set it outside the notebook (export {env_name}=...) and restart the kernel")
        return Secret(value)
    if prompt:
        return Secret(ask_secret("Database password: ", "--password-env ENV_VAR"))
    return None


def ask_secret(prompt: str, instead: str) -> str:
    """A hidden prompt; where nobody can answer (a headless run), a UsageError naming ``instead``."""
    import getpass

    from IPython.core.error import StdinNotImplementedError

    try:
        return getpass.getpass(prompt)
    except (StdinNotImplementedError, EOFError) as exc:
        raise UsageError(f"cannot ask for a secret here (no one can type into this run): use {instead}") from exc


def human_size(size: int) -> str:
    """``512 bytes``, ``3.5 KiB``, ``64 MiB``."""
    if size < 1024:
        return f"{size} bytes"
    if size < 2**20:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 2**20:.1f} MiB"


def cell_file(cell: str, filename: str, max_bytes: int) -> UploadFile | None:
    """The cell as a ``sqlfiles`` part, or None when the cell is empty."""
    if not cell.strip():
        return None
    try:
        data = cell.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsageError(f"the cell has text that is not valid UTF-8 (at character {exc.start}): "
                         "remove or retype that character") from None
    if len(data) > max_bytes:
        raise UsageError(f"the cell is {human_size(len(data))}, over the limit of {human_size(max_bytes)}: "
                         "attach the SQL with --file, or raise SQLFlowMagics.max_cell_bytes")
    return UploadFile(filename=filename, content=data)


def attached_files(patterns: list[str], max_bytes: int) -> list[UploadFile]:
    """Expand ``--file`` patterns (globs, ``~``) into checked uploads, in a stable order."""
    uploads: list[UploadFile] = []
    seen: set[Path] = set()
    for pattern in patterns:
        expanded = os.path.expanduser(pattern)
        matches = sorted(glob.glob(expanded, recursive=True)) if glob.has_magic(expanded) else [expanded]
        if not matches or not (glob.has_magic(expanded) or os.path.lexists(expanded)):
            raise UsageError(f"--file {pattern!r} matches no file: check the path "
                             "(a relative path starts in the kernel's working folder, see %pwd)")
        for match in matches:
            real = Path(os.path.realpath(match))
            if real not in seen:
                seen.add(real)
                uploads.append(_checked_file(Path(match), pattern, max_bytes))
    return uploads


def _checked_file(path: Path, pattern: str, max_bytes: int) -> UploadFile:
    if path.is_dir():
        raise UsageError(f"--file {pattern!r}: {path} is a directory; attach its files with --file '{path}/*.sql'")
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as exc:
        raise UsageError(f"--file {pattern!r}: cannot read {path} ({exc.strerror or exc}); "
                         "check that it exists and that you may read it") from None
    if size > max_bytes:
        raise UsageError(f"--file {path} is {human_size(size)}, over the limit of {human_size(max_bytes)}: "
                         "split it, or raise SQLFlowMagics.max_cell_bytes")
    if path.suffix.lower() == ".zip":
        import zipfile

        if not zipfile.is_zipfile(path):
            raise UsageError(f"--file {path} ends in .zip but is not a zip archive: re-create it with a zip tool")
        return UploadFile(filename=path.name, path=path)
    if b"\x00" in head:
        raise UsageError(f"--file {path} is a binary file, not SQL text: attach .sql text files or a .zip of them")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"--file {path} is not UTF-8 text (bad byte at offset {exc.start}): "
                         "convert it, e.g. iconv -f latin1 -t utf-8") from None
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise UsageError(f"--file {path}: only .sql text files and .zip archives can be attached; "
                         "rename it to .sql if it holds SQL")
    return UploadFile(filename=path.name, path=path)
