"""Looking for secrets where they must not be: in texts, in widget states, in every encoded form.

The scan decodes rather than encodes, so that it does not share the scrubber's idea of the forms: each
text is looked at as it is and URL-, form-, JSON- and HTML-decoded (and each of those decoded once more),
and every base64 or base64url run in it is decoded at each of its four character offsets. A secret found
in any of those views has leaked, and the message says in which.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from sqlflow_magic.client import SQLFlowClient
from sqlflow_magic.client.settings import ClientSettings
from tests.support.users import ALICE, ALICE_SECRET

DB_PASSWORD = "db-pw-Quartz-8812"
_JSON_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[\"\\/bfnrt])")
_JSON_SHORT = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}")


def known_token(server: Any) -> str:
    with SQLFlowClient(ClientSettings(server.url, user_id=ALICE, secret_key=ALICE_SECRET)) as client:
        return client.generate_token().reveal()


def widget_states() -> list[dict]:
    from ipywidgets.widgets.widget import _instances

    return [w.get_state() for w in list(_instances.values())]


def json_unescaped(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        escape = match.group(1)
        return chr(int(escape[1:], 16)) if escape[0] == "u" else _JSON_SHORT.get(escape, escape)

    return _JSON_ESCAPE.sub(one, text).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


DECODINGS: dict[str, Callable[[str], str]] = {
    "URL-encoded": unquote, "form-encoded": unquote_plus, "JSON-escaped": json_unescaped, "HTML-escaped": html.unescape,
}


def views(text: str) -> dict[str, str]:
    """``text`` as it is and decoded once or twice by each decoding, those that change it."""
    found = {"raw": text}
    for name, decode in DECODINGS.items():
        once = decode(text)
        if once != text:
            found[name] = once
            for second, decode_again in DECODINGS.items():
                twice = decode_again(once)
                if twice != once:
                    found[f"{second} in {name}"] = twice
    return found


def base64_decodings(text: str) -> Iterable[bytes]:
    """Every base64 and base64url run of ``text``, decoded from each of its first four characters."""
    for run in _BASE64_RUN.findall(text):
        standard = run.replace("-", "+").replace("_", "/")  # base64url read as base64
        for start in range(4):
            usable = standard[start:]
            usable = usable[:-1] if len(usable) % 4 == 1 else usable  # one character alone holds no byte
            try:
                yield base64.b64decode(usable + "=" * (-len(usable) % 4))
            except (binascii.Error, ValueError):
                continue


def leaks(text: str, secret: str) -> list[str]:
    """The forms in which ``secret`` shows in ``text``: empty when it does not."""
    return leaks_of(text, [secret])[secret]


def leaks_of(text: str, secrets: list[str]) -> dict[str, list[str]]:
    """For each secret, the forms in which it shows in ``text`` (each view and decoding made once)."""
    found: dict[str, list[str]] = {secret: [] for secret in secrets}
    forms = {secret: {secret.encode(), quote(secret, safe="").encode(), quote_plus(secret).encode(),
                      quote(secret).encode()} for secret in secrets}
    for name, view in views(text).items():
        decoded = b"\0".join(base64_decodings(view))  # no form holds a NUL: one search per form
        for secret in secrets:
            if secret in view:
                found[secret].append(name)
            if any(form in decoded for form in forms[secret]):
                found[secret].append(f"base64 ({name})")
    return found


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret, forms in leaks_of(text, secrets).items():
        assert not forms, f"a secret leaked: {secret[:4]}... in its form(s) {', '.join(forms)}"
