"""The settings in force for the magics, each with where it came from.

Precedence, highest first: an option on the magic line, then ``%config SQLFlowMagics.<name>`` (or
``c.SQLFlowMagics.<name>`` in ``ipython_config.py``), then an environment variable, then the
default. ``docs/configuration.md`` lists every setting; the environment variables are:

- ``base_url``: ``SQLFLOW_URL``; default the embedded local server, or SQLFlow Cloud when a secret key
  or token is set.
- ``user_id``: ``SQLFLOW_USER_ID``; default ``gudu|0123456789`` (the on-premise 5.x user).
- secret key: ``SQLFLOW_SECRET_KEY`` or ``%sqlflow_login``; deliberately not a ``%config`` setting.
- token: ``SQLFLOW_TOKEN``; default: fetched with the secret key.
- ``default_vendor``: ``SQLFLOW_DBVENDOR``; default ``dbvoracle``.
- ``local_server_db``: ``SQLFLOW_LOCAL_SERVER_DB``; default a file in the user data directory.
- ``request_deadline``: ``SQLFLOW_REQUEST_DEADLINE``; default 300 s for a whole call (client/deadline.py).
- ``max_answer_bytes``: ``SQLFLOW_MAX_ANSWER_BYTES``; default 256 MiB (client/answer_reading.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..client.errors import ConfigurationError
from ..client.secrets import Secret, display_url, mask_identifier
from ..client.settings import (
    CLOUD_URL,
    DEFAULT_MAX_ANSWER_BYTES,
    DEFAULT_REQUEST_DEADLINE,
    MIB,
    BaseURL,
    ClientSettings,
    normalize_base_url,
)
from ..protocol import ON_PREMISE_USER_ID
from ..vendors import DEFAULT_VENDOR, UnknownVendorError, resolve_vendor

ENV_URL = "SQLFLOW_URL"
ENV_USER_ID = "SQLFLOW_USER_ID"
ENV_SECRET_KEY = "SQLFLOW_SECRET_KEY"
ENV_TOKEN = "SQLFLOW_TOKEN"
ENV_DBVENDOR = "SQLFLOW_DBVENDOR"
ENV_LOCAL_SERVER_DB = "SQLFLOW_LOCAL_SERVER_DB"
ENV_REQUEST_DEADLINE = "SQLFLOW_REQUEST_DEADLINE"
ENV_MAX_ANSWER_BYTES = "SQLFLOW_MAX_ANSWER_BYTES"

EMBEDDED = "embedded local server"
T = TypeVar("T")
N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A setting's effective value and where it came from (``option``, ``%config``, an env var, ...)."""

    value: T
    source: str


@dataclass(frozen=True)
class EffectiveSettings:
    """The settings in force, each with its source. ``base_url`` is None for the embedded server."""

    base_url: Sourced[BaseURL | None]
    user_id: Sourced[str]
    secret_key: Sourced[Secret | None]
    token: Sourced[Secret | None]
    default_vendor: Sourced[str]
    connect_timeout: Sourced[float]
    read_timeout: Sourced[float]
    request_deadline: Sourced[float]
    max_answer_bytes: Sourced[int]
    ca_bundle: Sourced[str | None]
    max_retries: Sourced[int]
    max_cell_bytes: Sourced[int]
    local_server_db: Sourced[str | None]
    wait: Sourced[bool]
    max_wait: Sourced[float]
    problems: tuple[ConfigurationError, ...] = ()
    #: What is wrong but stops only the magics that use it (a bad default dbvendor stops a submit without -d).
    warnings: tuple[str, ...] = ()

    @property
    def uses_embedded_server(self) -> bool:
        """Whether no server is configured at all (a base URL that is set but unusable is a problem instead)."""
        return self.base_url.value is None and self.base_url.source == "default"

    def client_settings(self, embedded_url: str | None = None) -> ClientSettings:
        """The client settings; ``embedded_url`` is the local server's URL when it is used."""
        if self.problems:
            raise self.problems[0]
        base_url = embedded_url if self.base_url.value is None else self.base_url.value
        if base_url is None:
            raise ConfigurationError("the embedded local server has not been started")
        return ClientSettings(
            base_url=base_url, user_id=self.user_id.value, secret_key=self.secret_key.value, token=self.token.value,
            connect_timeout=self.connect_timeout.value, read_timeout=self.read_timeout.value,
            request_deadline=self.request_deadline.value, max_answer_bytes=self.max_answer_bytes.value,
            ca_bundle=self.ca_bundle.value, max_retries=self.max_retries.value, is_embedded=self.uses_embedded_server,
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(setting, shown value, source) for display; secrets are masked, user ids shortened."""
        shown = [(name, _show(name, getattr(self, name).value, self.uses_embedded_server), getattr(self, name).source)
                 for name in SHOWN]
        if self.uses_embedded_server:  # the embedded server's lineage engine: compiled or not, on which sqlglot
            from ..server.engine_build import engine_build

            shown.append(("lineage_engine", engine_build(), "installed"))
        from ..openlineage.emit import configuration_summary  # where --emit sends: OpenLineage's own settings

        shown.append(("openlineage", *configuration_summary()))
        shown += [("PROBLEM", str(problem), "") for problem in self.problems]
        shown += [("PROBLEM", warning, "") for warning in self.warnings]
        return shown


#: The settings ``%sqlflow_config`` shows, in its order.
SHOWN = ("base_url", "user_id", "secret_key", "token", "default_vendor", "connect_timeout", "read_timeout",
         "request_deadline", "max_answer_bytes", "ca_bundle", "max_retries", "max_cell_bytes", "local_server_db",
         "wait", "max_wait")


def resolve_settings(configured: Mapping[str, object], env: Mapping[str, str] | None = None,
                     login_secret: Secret | None = None, login_user: str | None = None) -> EffectiveSettings:
    """Combine ``%config`` values (None = not set), env vars and defaults into :class:`EffectiveSettings`.

    Never raises: what cannot work is collected in ``problems`` (shown by ``%sqlflow_config``, raised
    by :meth:`EffectiveSettings.client_settings`).
    """
    env = os.environ if env is None else env

    def given(name: str, env_name: str | None) -> Sourced[str] | None:
        value = configured.get(name)
        if value is not None and value != "":
            return Sourced(str(value), "%config")
        if env_name and env.get(env_name, "").strip():
            return Sourced(env[env_name].strip(), f"env {env_name}")
        return None

    def pick(name: str, convert: Callable[[object], T], default: T) -> Sourced[T]:
        value = configured.get(name)  # %config values are typed by their traits already
        return Sourced(convert(value), "%config") if value is not None and value != "" else Sourced(default, "default")

    def secret(name: str, env_name: str) -> Sourced[Secret | None]:
        if configured.get(name):
            return Sourced(Secret(str(configured[name])), "%config")
        raw = env.get(env_name, "")  # kept unstripped: stray white space is reported
        return Sourced(Secret(raw), f"env {env_name}") if raw.strip() else Sourced(None, "default")

    problems: list[ConfigurationError] = []
    user_given = Sourced(login_user, "%sqlflow_login") if login_user else given("user_id", ENV_USER_ID)
    secret_key: Sourced[Secret | None] = (Sourced(login_secret, "%sqlflow_login") if login_secret
                                          else secret("secret_key", ENV_SECRET_KEY))
    token = secret("token", ENV_TOKEN)
    url_given = given("base_url", ENV_URL)
    url: Sourced[BaseURL | None] = Sourced(None, "default")
    if url_given is None and (secret_key.value or token.value):
        url = Sourced(CLOUD_URL, "default (credentials set)")
    elif url_given is not None:
        try:
            url = Sourced(normalize_base_url(url_given.value), url_given.source)
        except ConfigurationError as exc:
            url = Sourced(None, url_given.source)
            problems.append(ConfigurationError(f"{exc.message} (from {url_given.source})", hint=exc.hint))
    if (secret_key.value or token.value) and user_given is None:
        problems.append(ConfigurationError(
            "a secret key or token is set but no user id",
            hint=f"Set {ENV_USER_ID} (or %config SQLFlowMagics.user_id = '...') to your SQLFlow account id"))
    if user_given is not None and not (secret_key.value or token.value) and url_given is None:
        problems.append(ConfigurationError(
            f"a user id is set ({user_given.source}) but no secret key, token or server URL",
            hint=f"Set {ENV_SECRET_KEY} or run %sqlflow_login for SQLFlow Cloud, or set {ENV_URL} for your server"))
    vendor = given("default_vendor", ENV_DBVENDOR) or Sourced(DEFAULT_VENDOR, "default")
    warnings = []
    try:
        resolve_vendor(vendor.value)
    except UnknownVendorError as exc:
        warnings.append(f"default_vendor: {exc} (from {vendor.source}); a submit without --dbvendor fails until "
                        f"you fix it")
    local_db = given("local_server_db", ENV_LOCAL_SERVER_DB)

    def limit(name: str, env_name: str, convert: Callable[[str], N], default: N, example: str) -> Sourced[N]:
        """A positive number from ``%config`` (checked by its trait) or the environment, else ``default``."""
        chosen = given(name, env_name)
        if chosen is None:
            return Sourced(default, "default")
        try:
            value: N | None = convert(chosen.value)
        except ValueError:
            value = None
        if value is None or not 0 < value < float("inf"):
            problems.append(ConfigurationError(
                f"{name} must be a positive number, not {chosen.value[:40]!r} (from {chosen.source})",
                hint=f"Set e.g. {env_name}={example}"))
            return Sourced(default, f"default ({chosen.source} is unusable)")
        return Sourced(value, chosen.source)
    return EffectiveSettings(
        base_url=url, user_id=user_given or Sourced(ON_PREMISE_USER_ID, "default"), secret_key=secret_key,
        token=token, default_vendor=vendor,
        connect_timeout=pick("connect_timeout", _float, 10.0), read_timeout=pick("read_timeout", _float, 120.0),
        request_deadline=limit("request_deadline", ENV_REQUEST_DEADLINE, float, DEFAULT_REQUEST_DEADLINE, "600"),
        max_answer_bytes=limit("max_answer_bytes", ENV_MAX_ANSWER_BYTES, int, DEFAULT_MAX_ANSWER_BYTES,
                               str(2 * DEFAULT_MAX_ANSWER_BYTES)),
        ca_bundle=pick("ca_bundle", _text, None), max_retries=pick("max_retries", _int, 3),
        max_cell_bytes=pick("max_cell_bytes", _int, 64 * 1024 * 1024),
        local_server_db=Sourced(local_db.value, local_db.source) if local_db else Sourced(None, "default"),
        wait=pick("wait", bool, False), max_wait=pick("max_wait", _float, 600.0),
        problems=tuple(problems), warnings=tuple(warnings))


def _float(value: object) -> float:
    return float(str(value))


def _int(value: object) -> int:
    return int(str(value))


def _text(value: object) -> str | None:
    return str(value)


def _show(name: str, value: object, embedded: bool) -> str:
    if name == "base_url" and value is None:
        return EMBEDDED if embedded else "(unusable: see PROBLEM)"
    if name == "local_server_db":
        from ..server.config import default_db_path

        return _home_as_tilde(str(value or default_db_path()))
    if value is None or value == "":
        return "(not set)"
    if name in ("secret_key", "token"):
        return "******** (set)"
    if name == "user_id":
        return mask_identifier(str(value))
    if name == "base_url":
        return display_url(str(value))
    if name in LIMITS:
        return LIMITS[name](value)
    return str(value)


def _mib(value: object) -> str:
    return f"{int(str(value)) / MIB:g} MiB" if int(str(value)) >= MIB else f"{int(str(value)):,} bytes"


#: How ``%sqlflow_config`` shows the client's limits: what each bounds, in its unit.
LIMITS: dict[str, Callable[[object], str]] = {
    "connect_timeout": lambda value: f"{_float(value):g} s per connect",
    "read_timeout": lambda value: f"{_float(value):g} s per read or write",
    "request_deadline": lambda value: f"{_float(value):g} s per call, retries included (+1 s per 128 KiB uploaded)",
    "max_answer_bytes": lambda value: f"{_mib(value)} per answer, as sent and decoded",
    "max_retries": lambda value: f"{value} (only where nothing can be done twice)",
    "max_cell_bytes": lambda value: f"{_mib(value)} per cell or file uploaded",
    "max_wait": lambda value: f"{_float(value):g} s per wait for a job",
}


def _home_as_tilde(path: str) -> str:
    """``path`` with the user's home folder written ``~``: a shared notebook need not show who ran it."""
    home = os.path.expanduser("~")
    if home not in ("", "/", "~") and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)):]
    return path
