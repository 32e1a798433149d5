"""Connection settings of a :class:`~sqlflow_magic.client.SQLFlowClient`, and base-URL resolution.

The base URL is the full prefix that ends in ``/gspLive_backend``:

=================  =====================================================
SQLFlow Cloud      ``https://api.gudusoft.com/api/gspLive_backend``
                   (older docs: ``https://api.gudusoft.com/gspLive_backend``)
On-premise 5.x     ``http://HOST:8081/gspLive_backend``, or ``http://HOST/api/gspLive_backend`` behind nginx
On-premise 6.x     ``http://HOST:8165/api/gspLive_backend``
=================  =====================================================

A bare host is completed: ``http://HOST:8081`` becomes ``http://HOST:8081/gspLive_backend`` (the 5.x
port), any other bare host or path gets ``/api/gspLive_backend``, and a pasted endpoint URL such as
``.../gspLive_backend/sqlflow/job/submitPersistJob`` is cut back to its prefix.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..protocol import ON_PREMISE_USER_ID
from .errors import ConfigurationError
from .secrets import Secret, display_url

PREFIX = "gspLive_backend"
MIB = 1024 * 1024
#: The default answer cap. The local server's column lineage JSON is about 13 times its SQL, and a parsed
#: JSON takes about 5 times its size in the kernel: 256 MiB holds the lineage of ~20 MiB of SQL (SQLFlow's
#: big jobs answer tens of MiB) and is about the most a notebook can parse (~1.4 GiB). docs/security.md.
DEFAULT_MAX_ANSWER_BYTES = 256 * MIB
#: The default deadline: the read timeout's 120 s for a first byte, and three more minutes for the rest.
DEFAULT_REQUEST_DEADLINE = 300.0


class BaseURL(str):
    """A base URL already normalised by :func:`normalize_base_url`: it is never normalised twice.

    Its ``repr`` masks credentials in it (``https://********@host``), as a traceback's locals would show them.
    """

    def __repr__(self) -> str:
        return repr(display_url(self))


CLOUD_URL = BaseURL("https://api.gudusoft.com/api/gspLive_backend")


def normalize_base_url(url: str) -> BaseURL:
    """Return the ``.../gspLive_backend`` prefix for ``url``, or raise :class:`ConfigurationError`."""
    if isinstance(url, BaseURL):
        return url
    text = url.strip()
    shown = display_url(text)  # what messages quote: a user:password in the URL is masked
    if not text:
        raise ConfigurationError("the SQLFlow base URL is empty", hint="Set e.g. http://HOST:8165/api/gspLive_backend")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if "://" not in text:
        raise ConfigurationError(
            f"the SQLFlow base URL {shown!r} has no scheme",
            hint=f"Write it in full, e.g. http://{shown.rstrip('/')} or https://{shown.rstrip('/')}",
        )
    if scheme not in ("http", "https"):
        import difflib

        close = difflib.get_close_matches(scheme, ["https", "http"], n=1, cutoff=0.6)
        fix = close[0] if close else "https"
        kind = "a misspelt" if close else "an unsupported"
        raise ConfigurationError(f"the SQLFlow base URL {shown!r} has {kind} scheme {parts.scheme!r}",
                                 hint=f"Use http or https, e.g. {fix}://{shown.split('://', 1)[1]}")
    if not parts.hostname:
        raise ConfigurationError(f"the SQLFlow base URL {shown!r} has no host", hint="Write e.g. http://HOST:8165")
    try:
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"the SQLFlow base URL {shown!r} has a bad port",
                                 hint="The port must be a number from 1 to 65535") from None
    path = parts.path.rstrip("/")
    marker = f"/{PREFIX}"
    if marker in path:
        path = path[: path.index(marker) + len(marker)]
    elif path.endswith("/api"):
        path = f"{path}/{PREFIX}"
    elif not path and port == 8081:
        path = marker
    else:
        path = f"{path}/api/{PREFIX}"
    return BaseURL(urlunsplit((scheme, parts.netloc, path, "", "")))


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs to talk to one SQLFlow server. Secrets are :class:`Secret`.

    ``user_id`` with ``secret_key`` lets the client get and renew tokens; a ``token`` alone is used
    as given. The on-premise 5.x user ``gudu|0123456789`` needs neither.

    Limits on each call (``docs/security.md``, "The connection"): ``connect_timeout`` and ``read_timeout``
    bound each connect and each read or write; ``request_deadline`` bounds the whole call, retries included
    (plus one second per 128 KiB uploaded, so that big uploads on slow links still work);
    ``max_answer_bytes`` bounds an answer, compressed and decoded, while it arrives.
    """

    base_url: str  # normalised on creation (a :class:`BaseURL` is taken as it is)
    user_id: str = ON_PREMISE_USER_ID
    secret_key: Secret | None = field(default=None, repr=False)
    token: Secret | None = field(default=None, repr=False)
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    ca_bundle: str | None = None
    max_retries: int = 3
    backoff_seconds: float = 0.5
    request_deadline: float = DEFAULT_REQUEST_DEADLINE
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    is_embedded: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", normalize_base_url(self.base_url))
        for name in ("secret_key", "token"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, Secret(value))
        for name, secret in (("secret key", self.secret_key), ("token", self.token)):
            if secret is not None and secret.reveal() != secret.reveal().strip():
                raise ConfigurationError(f"the {name} has leading or trailing white space",
                                         hint="Copy it again without spaces or line breaks")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ConfigurationError("timeouts must be positive numbers of seconds",
                                     hint="Set e.g. read_timeout = 120")
        if not (self.request_deadline > 0 and math.isfinite(self.request_deadline)):
            raise ConfigurationError(f"request_deadline must be a positive number of seconds, not "
                                     f"{self.request_deadline!r}", hint=f"Set e.g. request_deadline = "
                                     f"{DEFAULT_REQUEST_DEADLINE:g}")
        if self.max_answer_bytes <= 0:
            raise ConfigurationError(f"max_answer_bytes must be a positive number of bytes, not "
                                     f"{self.max_answer_bytes!r}", hint=f"Set e.g. max_answer_bytes = "
                                     f"{DEFAULT_MAX_ANSWER_BYTES} ({DEFAULT_MAX_ANSWER_BYTES // MIB} MiB)")

    @property
    def needs_token(self) -> bool:
        """False for the on-premise 5.x user, which works without a token."""
        return self.user_id != ON_PREMISE_USER_ID

    def replace(self, **changes: Any) -> ClientSettings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)
