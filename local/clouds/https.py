"""HTTPS on loopback for the local run's fakes: a test certificate authority, and threaded servers.

One `LoopbackCa` per run signs the certificate of every fake (the OIDC issuer, Google's APIs, ...), so
a client verifies TLS with one CA bundle (`ca_bundle_path`) and nothing else. Each certificate names
the loopback address, `localhost` and the hosts the fake stands for (`*.googleapis.com`), so a
client that keeps the real host name in its request verifies it as it would the real one.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HANDSHAKE_TIMEOUT_S = 10


class LoopbackCa:
    """A certificate authority made for one run, kept in `directory` (deleted by `close`)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or Path(tempfile.mkdtemp(prefix="skylight-ca-"))
        self._now = datetime.datetime.now(datetime.UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Skylight local run test CA")])
        self._certificate = (
            _builder(self._name, self._name, self._key.public_key(), self._now, days=3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(cert_sign=True), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_bundle_path = str(self.directory / "ca.pem")
        Path(self.ca_bundle_path).write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))

    def server_context(self, label: str, host: str, names: Iterable[str] = ()) -> ssl.SSLContext:
        """A server TLS context with a certificate for `host`, `localhost` and `names`, signed here."""
        key = ec.generate_private_key(ec.SECP256R1())
        alternative: list[x509.GeneralName] = [x509.DNSName("localhost"), *map(x509.DNSName, names)]
        try:
            alternative.insert(0, x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternative.insert(0, x509.DNSName(host))
        certificate = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]),
                self._name,
                key.public_key(),
                self._now,
            )
            .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        certificate_file = self.directory / f"{label}.pem"
        key_file = self.directory / f"{label}.key"
        certificate_file.write_bytes(certificate.public_bytes(pem))
        key_file.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        key_file.chmod(0o600)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(certificate_file, key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this CA (and nothing else)."""
        return ssl.create_default_context(cafile=self.ca_bundle_path)

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class TlsServer(ThreadingHTTPServer):
    """A threaded HTTP server whose connections speak TLS, the handshake done in each request's thread
    (so that a client that never completes one cannot hold up the others)."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ) -> None:
        super().__init__(address, handler)
        self.tls = context
        self.base_url = f"https://{address[0]}:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(HANDSHAKE_TIMEOUT_S)
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that answers JSON and logs nothing (the fakes' requests carry tokens)."""

    timeout = HANDSHAKE_TIMEOUT_S
    sys_version = ""
    content_type = "application/json"  # as the cloud it stands for writes it

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class RunningServer:
    """A server serving in a thread of its own; `stop()` shuts it down (idempotent)."""

    server: TlsServer
    thread: threading.Thread = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(server: TlsServer, name: str) -> RunningServer:
    """Serve `server` in a daemon thread named `name`."""
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    return RunningServer(server, thread)


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePublicKey,
    now: datetime.datetime,
    days: int = 365,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
