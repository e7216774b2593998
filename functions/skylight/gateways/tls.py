"""TLS for every client: the CA bundle is read once per process, not once per connection.

botocore gives each client an SSL context of its own and has urllib3 load the CA bundle into it
again for every new connection (`ca_certs`): about 15 ms of CPU per connection on a 2-core machine,
and a crawl opens one per (client, concurrent call), some sixteen per region, more than all the
rest of a small region's work. Clients that verify against the same bundle and present no client
certificate now share one context that holds the bundle, and their connections no longer name it
to be loaded again. Verification is unchanged: every connection still requires a certificate that
chains to the bundle and names the host. Anything else (no verification, a client certificate)
keeps botocore's own context.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import botocore.httpsession
from botocore.httpsession import URLLib3Session, get_cert_path

_MARK = "_skylight_shared_tls"
_lock = threading.Lock()
_contexts: dict[str, ssl.SSLContext] = {}


def install() -> None:
    """Make every botocore HTTP session share one context per CA bundle (idempotent, thread-safe)."""
    with _lock:
        if getattr(URLLib3Session._get_ssl_context, _MARK, False):
            return
        own_context = URLLib3Session._get_ssl_context
        own_setup = URLLib3Session._setup_ssl_cert

        def _get_ssl_context(self: URLLib3Session) -> Any:
            bundle = _shared_bundle(self)
            return own_context(self) if bundle is None else verifying_context(bundle)

        def _setup_ssl_cert(self: URLLib3Session, conn: Any, url: str, verify: Any) -> None:
            own_setup(self, conn, url, verify)
            if conn.ca_certs is not None and conn.ca_certs == _shared_bundle(self):
                conn.ca_certs = None  # already in the shared context: urllib3 would load it again

        setattr(_get_ssl_context, _MARK, True)
        URLLib3Session._get_ssl_context = _get_ssl_context
        URLLib3Session._setup_ssl_cert = _setup_ssl_cert


def verifying_context(bundle: str) -> ssl.SSLContext:
    """The process's context for `bundle`: made as botocore makes its own, the bundle loaded once."""
    with _lock:
        context = _contexts.get(bundle)
        if context is None:
            context = botocore.httpsession.create_urllib3_context()
            context.load_verify_locations(cafile=bundle)
            _contexts[bundle] = context
        return context


def _shared_bundle(session: URLLib3Session) -> str | None:
    """The CA bundle `session` verifies against, if it may share a context (None: it may not)."""
    verify = session._verify
    if not verify or session._cert_file is not None:
        return None
    return str(get_cert_path(verify))
