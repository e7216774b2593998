"""Clients verifying against one CA bundle share one TLS context that loads it once; verification is
as strict as botocore's own. Against a real TLS server on 127.0.0.1 with a certificate of a test CA."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.httpsession
import pytest
from botocore.awsrequest import AWSRequest
from botocore.httpsession import URLLib3Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skylight.gateways import tls


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificate(
    subject: str, issuer: str, key: Any, signer: Any, ca: bool, names: list[Any]
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """An HTTPS server for `localhost`, and the bundle holding its test CA."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", "test CA", ca_key, ca_key, ca=True, names=[])
    names = [x509.DNSName("localhost")]  # not 127.0.0.1, the same server by another name
    leaf = _certificate("localhost", "test CA", key, ca_key, ca=False, names=names)
    bundle, chain, private = folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, private)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1], bundle
    httpd.shutdown()


class CountingContext(ssl.SSLContext):
    loads = 0

    def load_verify_locations(self, *args: Any, **kwargs: Any) -> None:
        CountingContext.loads += 1
        super().load_verify_locations(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> type[CountingContext]:
    """Every context botocore (or the shared one) makes counts the bundles loaded into it."""
    monkeypatch.setattr(
        botocore.httpsession, "create_urllib3_context", lambda: CountingContext(ssl.PROTOCOL_TLS_CLIENT)
    )
    monkeypatch.setattr(tls, "_contexts", {})
    CountingContext.loads = 0
    return CountingContext


def _get(session: URLLib3Session, url: str) -> int:
    return int(session.send(AWSRequest(method="GET", url=url).prepare()).status_code)


def test_connections_of_many_clients_load_the_bundle_once(server: tuple[int, Path], counted: Any) -> None:
    tls.install()
    port, bundle = server
    sessions = [URLLib3Session(verify=str(bundle)) for _ in range(3)]
    for session in sessions:
        for _ in range(2):
            assert _get(session, f"https://localhost:{port}/") == 200
            session._manager.clear()  # the next request opens a new connection
    assert counted.loads == 1
    assert len({id(session._get_ssl_context()) for session in sessions}) == 1


def test_a_certificate_from_outside_the_bundle_is_refused(server: tuple[int, Path], counted: Any) -> None:
    tls.install()
    port, _ = server
    with pytest.raises(botocore.exceptions.SSLError):
        _get(URLLib3Session(verify=True), f"https://localhost:{port}/")  # the default bundle


def test_a_certificate_for_another_host_is_refused(server: tuple[int, Path], counted: Any) -> None:
    tls.install()
    port, bundle = server
    session = URLLib3Session(verify=str(bundle))
    assert _get(session, f"https://localhost:{port}/") == 200
    with pytest.raises(botocore.exceptions.SSLError):
        _get(session, f"https://127.0.0.1:{port}/")  # the same server; its certificate names localhost


def test_clients_that_do_not_verify_keep_a_context_of_their_own(counted: Any) -> None:
    tls.install()
    unverified = URLLib3Session(verify=False)
    verified = URLLib3Session(verify=True)
    assert unverified._get_ssl_context() is not verified._get_ssl_context()
    assert verified._get_ssl_context() is tls.verifying_context(str(botocore.httpsession.get_cert_path(True)))
