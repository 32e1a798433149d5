"""Secret values that refuse to be printed, and masking helpers for what is shown to users (scrubbing every
encoded form of a secret: :mod:`.scrubbing`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"


class Secret:
    """A secret string (secret key, token, database password).

    ``str()``, ``repr()`` and f-strings give a mask; only :meth:`reveal` gives the value, so a secret
    that slips into a message, a log record or a widget shows up as ``********``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that must send it over the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def mask_identifier(value: str) -> str:
    """Show enough of an account id to recognise it, not enough to copy it: ``goo…06``."""
    if len(value) <= 6:
        return f"{value[:1]}…" if value else ""
    return f"{value[:3]}…{value[-2:]}"


def redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """``text`` with the given secrets masked in every encoded form, and credential patterns masked.

    For one text; where many texts are scrubbed of the same secrets, build one
    :class:`~sqlflow_magic.client.scrubbing.Scrubber` and call it (it computes the forms once).
    """
    from .scrubbing import Scrubber  # it imports Secret and MASK from here

    return Scrubber(secrets)(text)


#: ``scheme://`` (optional) then the authority's userinfo, up to its last ``@``.
_USERINFO = re.compile(r"^(\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?)[^/?#\s]*@")


def display_url(url: str) -> str:
    """``url`` with any ``user:password@`` masked (``https://********@host/...``), fit to show.

    Works on any text, a malformed URL included, so that configuration errors can quote it.
    """
    return _USERINFO.sub(lambda match: f"{match.group(1)}{MASK}@", str(url), count=1)
