"""The OIDC issuer of the emulated STS web identity tokens: signing keys and discovery over HTTPS.

AWS publishes, for every account with outbound identity federation enabled, an issuer
`https://<uuid>.tokens.sts.global.api.aws` whose `/.well-known/openid-configuration` and
`/.well-known/jwks.json` let anyone (GCP workload identity federation, Entra ID, a SaaS) verify the
tokens `GetWebIdentityToken` signs. Here the issuer of an account is `https://127.0.0.1:<port>/<uuid>`:
a small threaded HTTPS server on loopback (`local.clouds.https`), with a certificate authority of its
own made at start (`OidcIssuer.ca_bundle_path` is its PEM, for clients to verify TLS with). It
answers 404 for an issuer that is not published (an account without federation enabled).

Every issuer has signing keys of its own (RSA 2048 for RS256, EC P-384 for ES384), made on first use
and kept for the process, so that one account's token never verifies with another account's keys.
It publishes both, each with its `kid` (the RFC 7638 thumbprint), `alg` and `use: sig`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from local.clouds.https import JsonHandler, LoopbackCa, RunningServer, TlsServer, serve

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


class _Server(TlsServer):
    def __init__(
        self, address: tuple[str, int], context: ssl.SSLContext, is_published: Callable[[str], bool]
    ) -> None:
        super().__init__(address, _Handler, context)
        self.is_published = is_published


class _Handler(JsonHandler):
    server: _Server
    server_version = "Skylight-OIDC"

    def do_GET(self) -> None:
        issuer_id, _, document = self.path.split("?", 1)[0].lstrip("/").partition("/")
        if issuer_id and document in (_DISCOVERY, _JWKS) and self.server.is_published(issuer_id):
            issuer = f"{self.server.base_url}/{issuer_id}"
            body = discovery_document(issuer) if document == _DISCOVERY else jwks(issuer_id)
            self._send(200, body)
        else:
            self._send(404, {"message": "Not Found"})

    def _send(self, status: int, body: Any) -> None:
        self.send_json(status, body, {"Cache-Control": "max-age=300" if status == 200 else "no-store"})


@dataclass
class OidcIssuer:
    """A running issuer server. `stop()` shuts it down and deletes its certificate files."""

    host: str
    port: int
    #: The PEM of the server's certificate authority: hand it to clients that verify TLS.
    ca_bundle_path: str
    _running: RunningServer = field(repr=False)
    _ca: LoopbackCa = field(repr=False)

    @property
    def base_url(self) -> str:
        """`https://127.0.0.1:<port>`: an issuer is this followed by `/<issuer id>`."""
        return self._running.base_url

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this server (and nothing else)."""
        return self._ca.client_context()

    def stop(self) -> None:
        """Stop serving and delete the certificate files (idempotent)."""
        self._running.stop()
        self._ca.close()


def start_issuer(is_published: Callable[[str], bool], host: str = "127.0.0.1", port: int = 0) -> OidcIssuer:
    """Start an HTTPS issuer server on `host` (`port=0` picks a free port) with a new test CA.

    `is_published(issuer_id)` says whether `/<issuer_id>/...` is served; 404 otherwise.
    """
    ca = LoopbackCa()
    try:
        server = _Server((host, port), ca.server_context("oidc-issuer", host), is_published)
    except BaseException:
        ca.close()
        raise
    running = serve(server, "oidc-issuer")
    return OidcIssuer(host, running.port, ca.ca_bundle_path, running, ca)
