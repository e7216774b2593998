"""Authentication of long-term access keys, and access keys of account root users.

moto accepts any access key id with any secret unless its global auth mode is on, and that mode
breaks Step Functions → Lambda (the engine signs with fixed fake keys). This patch wraps moto's
per-request authorization hook, `ActionAuthenticatorMixin._authenticate_and_authorize_action`, and
acts only on requests signed with a long-term key (`AKIA...`, as customers hand over; moto's
placeholder credentials, the engine's and STS session keys never are): the key must exist and be
active, or the answer is AWS's `InvalidClientTokenId` ("The security token included in the request is
invalid."); the SigV4 signature must be the one its secret makes, or `SignatureDoesNotMatch`. Both
are HTTP 403, `AuthFailure` for EC2, as in AWS.

Root keys: AWS lets an account's root user create an access key for itself (CreateAccessKey without
UserName); moto cannot. Here that call, made as an account's root, creates a key of no user, and
GetCallerIdentity answers `arn:<partition>:iam::<account>:root` for it.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from botocore.credentials import Credentials
from moto.core import errors
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.responses import ActionResult, BaseResponse
from moto.iam.models import AccessKey, get_account_id_from, iam_backends
from moto.iam.responses import IamResponse
from moto.sts.models import STSBackend

from local.emulator.denials import deny
from local.emulator.principals import resolve_caller

_PATCH_MARK = "_skylight_access_keys"
LONG_TERM_PREFIX = "AKIA"
INVALID_KEY_MESSAGE = "The security token included in the request is invalid."
BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)


def find_access_key(access_key_id: str) -> AccessKey | None:
    """The IAM access key with this id, in whichever emulated account holds it."""
    backends = iam_backends[get_account_id_from(access_key_id)]
    for partition in ("aws", "aws-us-gov", "aws-cn"):
        key = backends[partition].access_keys.get(access_key_id)
        if key is not None:
            return key
    return None


def _between(first: str, second: str, text: str) -> str:
    return text.partition(first)[2].partition(second)[0]


class _SecretOf:
    """What moto's signature check asks of a key: botocore credentials made from its secret."""

    def __init__(self, key: AccessKey) -> None:
        self._key = key

    def create_credentials(self) -> Credentials:
        return Credentials(self._key.access_key_id, self._key.secret_access_key)


def signature_matches(response: BaseResponse, iam_request_cls: type[Any], key: AccessKey) -> bool:
    """Recompute the request's SigV4 signature with the key's secret, with moto's own canonicalization."""
    headers = response.headers
    authorization = str(headers.get("Authorization", ""))
    if "Signature=" not in authorization:
        return True  # presigned or unsigned: moto's own checks apply
    scope = _between("Credential=", ",", authorization).split("/")
    if len(scope) < 5:
        return False
    path = response.raw_path
    query = urlparse(response.uri).query
    check: Any = object.__new__(iam_request_cls)
    check._method = response.method
    check._path = f"{path}?{query}" if query else path
    # The signed payload is the body as sent: a form body reaches moto already parsed (as `data`), but
    # `data` also holds the query string of other requests, which is not part of the payload.
    form = str(headers.get("Content-Type", "")).startswith("application/x-www-form-urlencoded")
    check._data = response.data if form else b""
    check._body = response.raw_body
    check._headers = headers
    check._region, check._service = scope[2], scope[3]
    check._access_key = _SecretOf(key)
    expected = check._calculate_signature()
    return hmac.compare_digest(expected, _between("Signature=", ",", authorization))


def authenticate(response: BaseResponse, iam_request_cls: type) -> None:
    """Refuse what AWS refuses: an unknown or inactive long-term key, or a signature of another secret."""
    # From the signature itself: moto's own lookup answers a placeholder for keys it cannot parse.
    access_key_id = _between("Credential=", "/", str(response.headers.get("Authorization", "")))
    if not access_key_id.startswith(LONG_TERM_PREFIX):
        return
    ec2 = response.boto3_service_name == "ec2"
    key = find_access_key(access_key_id)
    if key is None or key.status != "Active":
        raise deny(response, INVALID_KEY_MESSAGE, code="AuthFailure" if ec2 else "InvalidClientTokenId")
    if not signature_matches(response, iam_request_cls, key):
        raise deny(response, BAD_SIGNATURE_MESSAGE, code="AuthFailure" if ec2 else "SignatureDoesNotMatch")


def _authenticating(original: Callable[..., None]) -> Callable[..., None]:
    def hook(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        authenticate(self, iam_request_cls)
        original(self, iam_request_cls, resource)

    setattr(hook, _PATCH_MARK, True)
    return hook


def _root_create_access_key(original: Callable[[IamResponse], Any]) -> Callable[[IamResponse], Any]:
    def create_access_key(self: IamResponse) -> Any:
        if not self._get_param("UserName"):
            caller = resolve_caller(self.get_access_key(), self.current_account, self.partition)
            if caller.role_arn is None and caller.arn.endswith(":root"):
                key = AccessKey(user_name=None, prefix=LONG_TERM_PREFIX, account_id=caller.account_id)  # type: ignore[abstract]
                iam_backends[caller.account_id][self.partition].access_keys[key.access_key_id] = key
                return ActionResult({"AccessKey": key})
        return original(self)

    setattr(create_access_key, _PATCH_MARK, True)
    return create_access_key


def _root_caller_identity(
    original: Callable[..., tuple[str, str, str]],
) -> Callable[..., tuple[str, str, str]]:
    def get_caller_identity(self: STSBackend, access_key_id: str, region: str) -> tuple[str, str, str]:
        key = iam_backends[self.account_id][self.partition].access_keys.get(access_key_id)
        if key is not None and key.user_name is None and access_key_id.startswith(LONG_TERM_PREFIX):
            return self.account_id, f"arn:{self.partition}:iam::{self.account_id}:root", self.account_id
        return original(self, access_key_id, region)

    setattr(get_caller_identity, _PATCH_MARK, True)
    return get_caller_identity


def install() -> None:
    """Authenticate long-term keys and support root keys (idempotent)."""
    current = ActionAuthenticatorMixin._authenticate_and_authorize_action
    if getattr(current, _PATCH_MARK, False):
        return
    # Common to every service, as AWS documents them (moto warns on codes missing from a service model).
    for code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure"):
        if code not in errors.COMMON_ERROR_CODES:
            errors.COMMON_ERROR_CODES.append(code)
    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticating(current)  # type: ignore[method-assign]
    IamResponse.create_access_key = _root_create_access_key(IamResponse.create_access_key)  # type: ignore[method-assign,assignment]
    STSBackend.get_caller_identity = _root_caller_identity(STSBackend.get_caller_identity)  # type: ignore[method-assign]
