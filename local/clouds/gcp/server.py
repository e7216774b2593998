"""Google's REST endpoints of the fake, told apart by host.

A request names its Google host by its `Host` header (`iam.googleapis.com`, which is what the real
clients send through `transport.GoogleApisOnLoopback`) or by a first path segment naming the host's
first label (`/iam/v1/...`, what the gcloud CLI sends with endpoint overrides).
"""

from __future__ import annotations

import json
import re
import ssl
import urllib.parse
from collections.abc import Callable
from typing import Any

from local.clouds.gcp.world import GcpWorld, GoogleError, api_error, bindings_of, policy_of
from local.clouds.https import JsonHandler, LoopbackCa, RunningServer, TlsServer, serve

HOSTS = ("sts", "iamcredentials", "iam", "cloudresourcemanager", "serviceusage")
Route = tuple[str, re.Pattern[str], Callable[["_Request"], Any]]


class _Request:
    def __init__(self, handler: _Handler, match: re.Match[str], query: dict[str, str], body: Any) -> None:
        self.world = handler.server.world
        self.match = match
        self.query = query
        self.body = body
        authorization = handler.headers.get("Authorization", "")
        self.bearer = (
            authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else None
        )

    def __getitem__(self, name: str) -> str:
        return urllib.parse.unquote(self.match[name])


def _done(name: str, response: dict[str, Any]) -> dict[str, Any]:
    """Google answers a create with a long-running operation; the fake's are done at once."""
    return {"name": f"{name}/operations/op-1", "done": True, "response": response}


def _project_body(world: GcpWorld, project_id: str) -> dict[str, Any]:
    project = world.project(project_id)
    return {
        "projectId": project.project_id,
        "projectNumber": project.number,
        "name": project.name,
        "lifecycleState": "ACTIVE",
    }


def _owner(request: _Request) -> None:
    """Customer-side calls: any bearer token stands for the owner, but one is needed."""
    request.world.caller(request.bearer)


def _policy(r: _Request, bindings: dict[str, set[str]]) -> dict[str, Any]:
    """`:getIamPolicy` or `:setIamPolicy` of a resource whose bindings these are (the owner's calls)."""
    _owner(r)
    if r["verb"] == "setIamPolicy":
        bindings.clear()
        bindings.update(bindings_of(r.body.get("policy", {})))
    return policy_of(bindings)


def _sts_token(r: _Request) -> Any:
    return r.world.exchange_token(r.body)


def _generate(r: _Request) -> Any:
    return r.world.generate_access_token(r.bearer, r["email"], r.body)


def _allowed_locations(r: _Request) -> Any:
    return {"locations": [], "encodedLocations": "0x0"}


def _create_project(r: _Request) -> Any:
    _owner(r)
    project = r.world.create_project(str(r.body.get("projectId", "")), str(r.body.get("name", "")))
    return _done(f"projects/{project.project_id}", _project_body(r.world, project.project_id))


def _get_project(r: _Request) -> Any:
    r.world.require(r.bearer, r["project"], "resourcemanager.projects.get")
    return _project_body(r.world, r["project"])


def _get_project_v3(r: _Request) -> Any:
    project = r.world.require(r.bearer, r["project"], "resourcemanager.projects.get")
    return {
        "name": f"projects/{project.number}",
        "projectId": project.project_id,
        "displayName": project.name,
        "state": "ACTIVE",
    }


def _project_policy(r: _Request) -> Any:
    return _policy(r, r.world.project(r["project"]).bindings)


def _enable(r: _Request) -> Any:
    _owner(r)
    r.world.enable_service(r["project"], r["service"])
    return _done(f"operations/enable-{r['service']}", {"service": {"name": r["service"], "state": "ENABLED"}})


def _service_state(r: _Request) -> Any:
    project = r.world.require(r.bearer, r["project"], "serviceusage.services.get")
    state = "ENABLED" if r["service"] in project.services else "DISABLED"
    return {"name": f"projects/{project.number}/services/{r['service']}", "state": state}


def _create_account(r: _Request) -> Any:
    _owner(r)
    account = r.world.create_service_account(
        r["project"],
        str(r.body.get("accountId", "")),
        str(r.body.get("serviceAccount", {}).get("displayName", "")),
    )
    return {
        "name": f"projects/{account.project_id}/serviceAccounts/{account.email}",
        "email": account.email,
        "uniqueId": account.unique_id,
        "projectId": account.project_id,
    }


def _account_policy(r: _Request) -> Any:
    return _policy(r, r.world.service_account(r["email"]).bindings)


def _create_pool(r: _Request) -> Any:
    _owner(r)
    pool = r.world.create_pool(r["project"], r.query.get("workloadIdentityPoolId", ""))
    return _done(pool.name, {"name": pool.name, "state": "ACTIVE", "disabled": False})


def _get_pool(r: _Request) -> Any:
    _owner(r)
    pool = r.world.pool(r["project"], r["pool"])
    return {"name": pool.name, "state": "ACTIVE", "disabled": pool.disabled}


def _create_provider(r: _Request) -> Any:
    _owner(r)
    provider = r.world.create_provider(
        r["project"], r["pool"], r.query.get("workloadIdentityPoolProviderId", ""), r.body
    )
    return _done(provider.name, provider.resource())


def _provider(r: _Request) -> Any:
    if r.body is None:  # GET: what Skylight reads to review the trust
        r.world.caller(r.bearer)
        return r.world.provider(r["project"], r["pool"], r["provider"]).resource()
    _owner(r)
    mask = [each for each in r.query.get("updateMask", "").split(",") if each]
    updated = r.world.patch_provider(r["project"], r["pool"], r["provider"], r.body, mask)
    return _done(updated.name, updated.resource())


_PROJECT = r"(?P<project>[^/:]+)"
_POOLS = rf"/v1/projects/{_PROJECT}/locations/global/workloadIdentityPools"
ROUTES: dict[str, list[Route]] = {
    "sts": [("POST", re.compile(r"/v1/token"), _sts_token)],
    "iamcredentials": [
        (
            "POST",
            re.compile(r"/v1/projects/-/serviceAccounts/(?P<email>[^/:]+):generateAccessToken"),
            _generate,
        ),
        (
            "GET",
            re.compile(r"/v1/projects/-/serviceAccounts/(?P<email>[^/:]+)/allowedLocations"),
            _allowed_locations,
        ),
    ],
    "cloudresourcemanager": [
        ("POST", re.compile(r"/v1/projects"), _create_project),
        ("GET", re.compile(rf"/v1/projects/{_PROJECT}"), _get_project),
        ("GET", re.compile(rf"/v3/projects/{_PROJECT}"), _get_project_v3),
        (
            "POST",
            re.compile(rf"/v1/projects/{_PROJECT}:(?P<verb>getIamPolicy|setIamPolicy)"),
            _project_policy,
        ),
    ],
    "serviceusage": [
        ("POST", re.compile(rf"/v1/projects/{_PROJECT}/services/(?P<service>[^/:]+):enable"), _enable),
        ("GET", re.compile(rf"/v1/projects/{_PROJECT}/services/(?P<service>[^/:]+)"), _service_state),
    ],
    "iam": [
        ("POST", re.compile(rf"/v1/projects/{_PROJECT}/serviceAccounts"), _create_account),
        (
            "POST",
            re.compile(
                rf"/v1/projects/{_PROJECT}/serviceAccounts/(?P<email>[^/:]+):(?P<verb>getIamPolicy|setIamPolicy)"
            ),
            _account_policy,
        ),
        ("POST", re.compile(_POOLS), _create_pool),
        ("GET", re.compile(rf"{_POOLS}/(?P<pool>[^/]+)"), _get_pool),
        ("POST", re.compile(rf"{_POOLS}/(?P<pool>[^/]+)/providers"), _create_provider),
        ("GET", re.compile(rf"{_POOLS}/(?P<pool>[^/]+)/providers/(?P<provider>[^/]+)"), _provider),
        ("PATCH", re.compile(rf"{_POOLS}/(?P<pool>[^/]+)/providers/(?P<provider>[^/]+)"), _provider),
    ],
}


class _Server(TlsServer):
    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, world: GcpWorld) -> None:
        super().__init__(address, _Handler, context)
        self.world = world


class _Handler(JsonHandler):
    server: _Server
    server_version = "ESF"
    content_type = "application/json; charset=UTF-8"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PATCH(self) -> None:
        self._answer("PATCH")

    def _answer(self, method: str) -> None:
        try:
            host, path, query = self._target()
            body = self._body() if method != "GET" else None
            for route_method, pattern, answer in ROUTES.get(host, []):
                match = pattern.fullmatch(path)
                if match and route_method == method:
                    self._send(200, answer(_Request(self, match, query, body)))
                    return
            raise api_error(404, "NOT_FOUND", f"The requested URL {path} was not found on this server.")
        except GoogleError as error:
            self._send(error.status, error.body)

    def _target(self) -> tuple[str, str, dict[str, str]]:
        url = urllib.parse.urlsplit(self.path)
        host = (self.headers.get("Host") or "").split(":")[0].removesuffix(".googleapis.com")
        path = url.path
        first, _, rest = path.lstrip("/").partition("/")
        if host not in HOSTS and first in HOSTS:
            host, path = first, "/" + rest
        return host, path, dict(urllib.parse.parse_qsl(url.query))

    def _body(self) -> Any:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return dict(urllib.parse.parse_qsl(data.decode()))
        try:
            return json.loads(data or b"{}")
        except ValueError:
            raise api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.") from None

    def _send(self, status: int, body: Any) -> None:
        self.send_json(status, body)


def start_gcp_fake(world: GcpWorld, ca: LoopbackCa, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Serve `world` on `host` with a certificate of `ca` for the loopback address and `*.googleapis.com`."""
    context = ca.server_context("gcp", host, ["googleapis.com", "*.googleapis.com"])
    return serve(_Server((host, port), context, world), "gcp-fake")
