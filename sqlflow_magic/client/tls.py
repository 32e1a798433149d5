"""The certificates the client trusts: the default ``ssl.SSLContext`` made once per process and shared.

Given ``verify=True``, httpx builds a new context for every ``httpx.Client``, reading certifi's bundle of
about 140 certificates each time: 20-50 ms of CPU per client (and each ``SQLFlowClient`` has two), even
for a base URL that is plain ``http://`` on loopback. A context only holds settings and trusted
certificates and is safe to share between clients and threads, so :func:`trusted_certificates` makes
the default one with httpx's own public ``httpx.create_ssl_context()`` (certifi, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` as httpx reads them) when first asked, and hands the same one to every client after it.
Setting either variable to another value gives a new context. A ``ca_bundle`` setting is read anew for
each client, so a replaced bundle file counts from the next client on.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx

from . import errors

__all__ = ["trusted_certificates"]


def trusted_certificates(ca_bundle: str | None) -> ssl.SSLContext:
    """The TLS context of a client: from ``ca_bundle`` (a PEM file) if set, else the shared default.

    Raises :class:`~sqlflow_magic.client.errors.ConfigurationError` when the bundle cannot be read.
    """
    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ssl.SSLError) as exc:
            raise errors.ConfigurationError(
                f"cannot read the CA bundle {ca_bundle!r}: {exc.__class__.__name__}",
                hint="Point ca_bundle at a PEM file of trusted certificates",
            ) from None
    return _default_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _default_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    # The arguments are the cache's key only: httpx reads the same two variables itself.
    return httpx.create_ssl_context()
