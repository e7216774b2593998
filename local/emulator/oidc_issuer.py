"""The OIDC issuer of the emulated STS web identity tokens: signing keys and discovery over HTTPS.

AWS publishes, for every account with outbound identity federation enabled, an issuer
`https://<uuid>.tokens.sts.global.api.aws` whose `/.well-known/openid-configuration` and
`/.well-known/jwks.json` let anyone (GCP workload identity federation, Entra ID, a SaaS) verify the
tokens `GetWebIdentityToken` signs. Here the issuer of an account is `https://127.0.0.1:<port>/<uuid>`:
a small threaded HTTPS server on loopback, with a certificate authority of its own made at start
(`OidcIssuer.ca_bundle_path` is its PEM, for clients to verify TLS with). It answers 404 for an
issuer that is not published (an account without federation enabled).

Every issuer has signing keys of its own (RSA 2048 for RS256, EC P-384 for ES384), made on first use
and kept for the process, so that one account's token never verifies with another account's keys.
It publishes both, each with its `kid` (the RFC 7638 thumbprint), `alg` and `use: sig`.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import json
import shutil
import ssl
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The algorithms GetWebIdentityToken signs with.
ALGORITHMS = ("RS256", "ES384")
_DISCOVERY = ".well-known/openid-configuration"
_JWKS = ".well-known/jwks.json"


@dataclass(frozen=True)
class SigningKey:
    """A private key the emulated STS signs tokens with, and its public half as a JWK."""

    algorithm: str
    kid: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)
    jwk: dict[str, str] = field(repr=False)


_keys: dict[tuple[str, str], SigningKey] = {}
_keys_lock = threading.Lock()


def signing_key(issuer_id: str, algorithm: str) -> SigningKey:
    """The issuer's key for `algorithm` (RS256 or ES384), made on first use and kept for the process."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {algorithm!r}")
    with _keys_lock:
        if (issuer_id, algorithm) not in _keys:
            _keys[issuer_id, algorithm] = _new_key(algorithm)
        return _keys[issuer_id, algorithm]


def jwks(issuer_id: str) -> dict[str, list[dict[str, str]]]:
    """The issuer's JSON Web Key Set: the public keys of both algorithms."""
    return {"keys": [dict(signing_key(issuer_id, algorithm).jwk) for algorithm in ALGORITHMS]}


def discovery_document(issuer: str) -> dict[str, Any]:
    """The OpenID Provider configuration of `issuer` (OpenID Connect Discovery 1.0, section 3)."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/{_JWKS}",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "scopes_supported": ["openid"],
        "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub", "https://sts.amazonaws.com/"],
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _integer(value: int, length: int | None = None) -> str:
    size = length or max(1, (value.bit_length() + 7) // 8)
    return _b64url(value.to_bytes(size, "big"))


def _thumbprint(members: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    canonical = json.dumps(members, sort_keys=True, separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _new_key(algorithm: str) -> SigningKey:
    if algorithm == "RS256":
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = rsa_key.public_key().public_numbers()
        members = {"e": _integer(numbers.e), "kty": "RSA", "n": _integer(numbers.n)}
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa_key
    else:
        ec_key = ec.generate_private_key(ec.SECP384R1())
        point = ec_key.public_key().public_numbers()
        members = {"crv": "P-384", "kty": "EC", "x": _integer(point.x, 48), "y": _integer(point.y, 48)}
        private = ec_key
    kid = _thumbprint(members)
    return SigningKey(algorithm, kid, private, {**members, "kid": kid, "alg": algorithm, "use": "sig"})


class _Server(ThreadingHTTPServer):
    """A threaded HTTP server whose connections speak TLS, the handshake done in each request's thread
    (so that a client that never completes one cannot hold up the others)."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], context: ssl.SSLContext, is_published: Callable[[str], bool]
    ) -> None:
        super().__init__(address, _Handler)
        self.tls = context
        self.is_published = is_published
        self.base_url = f"https://{address[0]}:{self.server_address[1]}"

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            request.settimeout(_Handler.timeout)
            request = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10
    server_version = "Skylight-OIDC"
    sys_version = ""

    def do_GET(self) -> None:
        issuer_id, _, document = self.path.split("?", 1)[0].lstrip("/").partition("/")
        if issuer_id and document in (_DISCOVERY, _JWKS) and self.server.is_published(issuer_id):
            issuer = f"{self.server.base_url}/{issuer_id}"
            body = discovery_document(issuer) if document == _DISCOVERY else jwks(issuer_id)
            self._send(200, body)
        else:
            self._send(404, {"message": "Not Found"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "max-age=300" if status == 200 else "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class OidcIssuer:
    """A running issuer server. `stop()` shuts it down and deletes its certificate files."""

    host: str
    port: int
    #: The PEM of the server's certificate authority: hand it to clients that verify TLS.
    ca_bundle_path: str
    _server: _Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _directory: Path = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        """`https://127.0.0.1:<port>`: an issuer is this followed by `/<issuer id>`."""
        return self._server.base_url

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server (and nothing else)."""
        return ssl.create_default_context(cafile=self.ca_bundle_path)

    def stop(self) -> None:
        """Stop serving and delete the certificate files (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        shutil.rmtree(self._directory, ignore_errors=True)


def start_issuer(is_published: Callable[[str], bool], host: str = "127.0.0.1", port: int = 0) -> OidcIssuer:
    """Start an HTTPS issuer server on `host` (`port=0` picks a free port) with a new test CA.

    `is_published(issuer_id)` says whether `/<issuer_id>/...` is served; 404 otherwise.
    """
    directory = Path(tempfile.mkdtemp(prefix="skylight-oidc-"))
    try:
        context = _tls_context(directory, host)
        server = _Server((host, port), context, is_published)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="oidc-issuer", daemon=True
    )
    thread.start()
    return OidcIssuer(host, server.server_address[1], str(directory / "ca.pem"), server, thread, directory)


def _tls_context(directory: Path, host: str) -> ssl.SSLContext:
    """Make a CA and a server certificate for `host` (signed by it) and load them into a context."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Skylight emulator OIDC test CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, days=3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.insert(0, x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.insert(0, x509.DNSName(host))
    server_cert = (
        _builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, server_key.public_key(), now
        )
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.pem").write_bytes(server_cert.public_bytes(pem))
    key_file = directory / "server.key"
    key_file.write_bytes(
        server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(directory / "server.pem", key_file)
    return context


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
