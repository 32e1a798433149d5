"""Where each setting comes from: magic option > ``%config`` (or ``ipython_config.py``) > env var > default.

- ``base_url``: ``SQLFLOW_URL``; default the embedded local server, or SQLFlow Cloud when a secret key
  or token is set.
- ``user_id``: ``SQLFLOW_USER_ID``; default ``gudu|0123456789`` (the on-premise 5.x user).
- secret key: ``SQLFLOW_SECRET_KEY`` or ``%sqlflow_login``; deliberately not a ``%config`` setting.
- token: ``SQLFLOW_TOKEN``; default: fetched with the secret key.
- ``default_vendor``: ``SQLFLOW_DBVENDOR``; default ``dbvoracle``.
- ``local_server_db``: ``SQLFLOW_LOCAL_SERVER_DB``; default a file in the user data directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import ConfigurationError
from .secrets import Secret, mask_identifier
from .settings import CLOUD_URL, ONPREM_USER_ID, ClientSettings, normalize_base_url
from .vendors import DEFAULT_VENDOR, UnknownVendorError, resolve_vendor

ENV_URL = "SQLFLOW_URL"
ENV_USER_ID = "SQLFLOW_USER_ID"
ENV_SECRET_KEY = "SQLFLOW_SECRET_KEY"
ENV_TOKEN = "SQLFLOW_TOKEN"
ENV_DBVENDOR = "SQLFLOW_DBVENDOR"
ENV_LOCAL_SERVER_DB = "SQLFLOW_LOCAL_SERVER_DB"
ENV_NAMES = (ENV_URL, ENV_USER_ID, ENV_SECRET_KEY, ENV_TOKEN, ENV_DBVENDOR, ENV_LOCAL_SERVER_DB)
SECRET_ENV_NAMES = frozenset({ENV_SECRET_KEY, ENV_TOKEN})

EMBEDDED = "embedded local server"


@dataclass(frozen=True)
class Sourced:
    """A setting's effective value and where it came from (``option``, ``%config``, an env var, ...)."""

    value: object
    source: str


@dataclass(frozen=True)
class EffectiveConfig:
    """The settings in force, each with its source. ``base_url`` is None for the embedded server."""

    base_url: Sourced
    user_id: Sourced
    secret_key: Sourced
    token: Sourced
    default_vendor: Sourced
    others: dict[str, Sourced] = field(default_factory=dict)
    problems: tuple[ConfigurationError, ...] = ()
    #: What is wrong but stops only the magics that use it (a bad default dbvendor stops a submit without -d).
    warnings: tuple[str, ...] = ()

    @property
    def uses_embedded_server(self) -> bool:
        return self.base_url.value is None

    def client_settings(self, embedded_url: str | None = None) -> ClientSettings:
        """The client settings; ``embedded_url`` is the local server's URL when it is used."""
        if self.problems:
            raise self.problems[0]
        base_url = embedded_url if self.uses_embedded_server else self.base_url.value
        if base_url is None:
            raise ConfigurationError("the embedded local server has not been started")
        return ClientSettings(
            base_url=str(base_url), user_id=str(self.user_id.value),
            secret_key=_secret(self.secret_key.value), token=_secret(self.token.value),
            connect_timeout=float(self.others["connect_timeout"].value),  # type: ignore[arg-type]
            read_timeout=float(self.others["read_timeout"].value),  # type: ignore[arg-type]
            ca_bundle=_str_or_none(self.others["ca_bundle"].value),
            max_retries=int(self.others["max_retries"].value),  # type: ignore[call-overload]
            is_embedded=self.uses_embedded_server,
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(setting, shown value, source) for display; secrets are masked, user ids shortened."""
        shown: list[tuple[str, str, str]] = []
        for name in ("base_url", "user_id", "secret_key", "token", "default_vendor"):
            item: Sourced = getattr(self, name)
            shown.append((name, _show(name, item.value, self.uses_embedded_server), item.source))
        shown += [(name, _show(name, item.value, False), item.source) for name, item in self.others.items()]
        shown += [("PROBLEM", str(problem), "") for problem in self.problems]
        shown += [("PROBLEM", warning, "") for warning in self.warnings]
        return shown


def resolve(configured: Mapping[str, object], env: Mapping[str, str] | None = None,
            login_secret: Secret | None = None, login_user: str | None = None) -> EffectiveConfig:
    """Combine ``%config`` values (None = not set), env vars and defaults into an :class:`EffectiveConfig`.

    Never raises: what cannot work is collected in ``problems`` (shown by ``%sqlflow_config``, raised
    by :meth:`EffectiveConfig.client_settings`).
    """
    env = os.environ if env is None else env

    def pick(name: str, env_name: str | None, default: object) -> Sourced:
        value = configured.get(name)
        if value is not None and value != "":
            return Sourced(value, "%config")
        if env_name and env.get(env_name, "").strip():
            raw = env[env_name]
            if env_name in (ENV_SECRET_KEY, ENV_TOKEN):  # kept unstripped: stray white space is reported
                return Sourced(Secret(raw), f"env {env_name}")
            return Sourced(raw.strip(), f"env {env_name}")
        return Sourced(default, "default")

    problems: list[ConfigurationError] = []
    user_id = Sourced(login_user, "%sqlflow_login") if login_user else pick("user_id", ENV_USER_ID, None)
    secret = Sourced(login_secret, "%sqlflow_login") if login_secret else pick("secret_key", ENV_SECRET_KEY, None)
    token = pick("token", ENV_TOKEN, None)
    url = pick("base_url", ENV_URL, None)
    if url.value is None and (secret.value or token.value):
        url = Sourced(CLOUD_URL, "default (credentials set)")
    elif url.value is not None:
        try:
            url = Sourced(normalize_base_url(str(url.value)), url.source)
        except ConfigurationError as exc:
            problems.append(ConfigurationError(f"{exc.message} (from {url.source})", hint=exc.hint))
    if (secret.value or token.value) and not user_id.value:
        problems.append(ConfigurationError(
            "a secret key or token is set but no user id",
            hint=f"Set {ENV_USER_ID} (or %config SQLFlowMagics.user_id = '...') to your SQLFlow account id"))
    if user_id.value and not (secret.value or token.value) and url.value is None:
        problems.append(ConfigurationError(
            f"a user id is set ({user_id.source}) but no secret key, token or server URL",
            hint=f"Set {ENV_SECRET_KEY} or run %sqlflow_login for SQLFlow Cloud, or set {ENV_URL} for your server"))
    if not user_id.value:
        user_id = Sourced(ONPREM_USER_ID, "default")
    others = {
        name: pick(name, env_name, default)
        for name, env_name, default in (
            ("connect_timeout", None, 10.0), ("read_timeout", None, 120.0), ("ca_bundle", None, None),
            ("max_retries", None, 3), ("max_cell_bytes", None, 64 * 1024 * 1024),
            ("local_server_db", ENV_LOCAL_SERVER_DB, None), ("wait", None, False), ("max_wait", None, 600.0))
    }
    vendor = pick("default_vendor", ENV_DBVENDOR, DEFAULT_VENDOR)
    warnings = []
    try:
        resolve_vendor(str(vendor.value))
    except UnknownVendorError as exc:
        warnings.append(f"default_vendor: {exc} (from {vendor.source}); a submit without --dbvendor fails until "
                        f"you fix it")
    return EffectiveConfig(url, user_id, secret, token, vendor, others, tuple(problems), tuple(warnings))


def _secret(value: object) -> Secret | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Secret) else Secret(str(value))


def _str_or_none(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _show(name: str, value: object, embedded: bool) -> str:
    if name == "base_url" and value is None:
        return EMBEDDED if embedded else "(not set)"
    if name == "local_server_db":
        from .server.config import default_db_path

        return _home_as_tilde(str(value or default_db_path()))
    if value is None or value == "":
        return "(not set)"
    if name in ("secret_key", "token"):
        return "******** (set)"
    if name == "user_id":
        return mask_identifier(str(value))
    return str(value)


def _home_as_tilde(path: str) -> str:
    """``path`` with the user's home folder written ``~``: a shared notebook need not show who ran it."""
    home = os.path.expanduser("~")
    if home not in ("", "/", "~") and (path == home or path.startswith(home.rstrip(os.sep) + os.sep)):
        return "~" + path[len(home.rstrip(os.sep)):]
    return path
