"""A development token issuer: RS256 JWTs the local API verifies like API Gateway's JWT authorizer.

The signing key is created once under .local/ (never committed) so that `make token` and a
running `make serve` agree on it.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "https://auth.skylight.localhost/"
AUDIENCE = "skylight-api"
KEY_ID = "skylight-local-1"
STATE_DIR = Path(__file__).resolve().parent.parent / ".local"


def _private_key() -> rsa.RSAPrivateKey:
    path = STATE_DIR / "jwt-signing-key.pem"
    if not path.exists():
        STATE_DIR.mkdir(exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return loaded


def issue_token(tenant_id: str, role: str, subject: str | None = None, lifetime_s: int = 3600) -> str:
    """A signed token for a tenant and a role (`admin` or `viewer`)."""
    return sign_claims(
        {"sub": subject or f"{role}@{tenant_id}", "tenant_id": tenant_id, "roles": [role]}, lifetime_s
    )


def sign_claims(claims: dict[str, Any], lifetime_s: int = 3600) -> str:
    """A token carrying `claims` (without `sub` if they have none), signed like every local token."""
    now = int(time.time())
    registered = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_s,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode({**registered, **claims}, _private_key(), algorithm="RS256", headers={"kid": KEY_ID})


class InvalidToken(Exception):
    """The token is missing, malformed, wrongly signed, expired, or for another issuer or audience."""


def verify_token(authorization: str | None, issuer: str = ISSUER, audience: str = AUDIENCE) -> dict[str, Any]:
    """Check a bearer token as API Gateway's JWT authorizer does: signature, issuer, audience, expiry."""
    if not authorization or not authorization.startswith("Bearer "):
        raise InvalidToken("no bearer token")
    try:
        claims = jwt.decode(
            authorization.removeprefix("Bearer ").strip(),
            _private_key().public_key(),
            algorithms=["RS256"],
            issuer=issuer,
            audience=audience,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    return dict(claims)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Print a signed development JWT and nothing else.")
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--role", choices=["admin", "viewer"], default="admin")
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds")
    arguments = parser.parse_args()
    print(issue_token(arguments.tenant, arguments.role, lifetime_s=arguments.lifetime))


if __name__ == "__main__":
    main()
