"""Start the offline AWS emulator: a patched moto server in a background thread.

Order matters: `MOTO_PORT` must name the server's port
because moto's Step Functions engine calls Lambda at `localhost:$MOTO_PORT`; the moto config
(Step Functions execution, Docker-less Lambda) must be in place before any function or state
machine is created, as Docker-less Lambda keeps functions in a separate backend; and default AMIs
are not loaded, or every account would show ~1,300 snapshots nobody created.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, cast

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.config import DefaultConfig, default_user_config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import ThreadedWSGIServer

from local.emulator.clients import client_for_account
from local.emulator.keep_alive import KeepAliveRequestHandler, OpenConnections
from local.emulator.outbound_federation import stop_issuer_server
from local.emulator.patches import install

#: The account Skylight's own stack runs in: moto's default account, which unknown keys act as.
PLATFORM_ACCOUNT_ID = DEFAULT_ACCOUNT_ID

#: The moto configuration the emulator runs with; pass it to `mock_aws(config=...)` in-process too.
EMULATOR_MOTO_CONFIG: DefaultConfig = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

_ENVIRONMENT = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
# moto's process-wide configuration (what `mock_aws(config=...)` patches for its duration).
_moto_config = cast(dict[str, Any], default_user_config)


class _Server(ThreadedWSGIServer):
    # werkzeug listens with a backlog of 128. A crawl opens a few hundred connections at once, and
    # those beyond the backlog had their SYN dropped and retried a second later (the kernel's
    # ListenOverflows): random one-second stalls that AWS's endpoints never cause.
    request_queue_size = 2048


class _ThreadedServer(ThreadedMotoServer):
    """moto's threaded server, with four fixes.

    It polls for shutdown every 50 ms instead of every 0.5 s (`stop()` waits for the next poll, which
    adds up in test suites); a port that cannot be bound is reported instead of leaving `start()`
    waiting forever for a server that never became ready; connections stay open between requests,
    as AWS keeps them (`keep_alive`), until the server stops; and its accept queue holds a burst of
    new connections (`_Server`).
    """

    startup_error: OSError | None = None
    middleware: Callable[[Any], Any] | None = None
    connections: OpenConnections | None = None

    def _server_entry(self) -> None:
        app: Any = DomainDispatcherApplication(create_backend_app)
        if self.middleware is not None:
            app = self.middleware(app)
        try:
            self._server = _Server(self._ip_address, self._port, app, handler=KeepAliveRequestHandler)
        except (OSError, SystemExit):  # werkzeug reports an unusable port with sys.exit(1)
            self.startup_error = OSError(f"cannot listen on {self._ip_address}:{self._port}")
            self._server_ready_event.set()
            return
        self.connections = OpenConnections()
        self._server.open_connections = self.connections  # type: ignore[attr-defined]
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        super().stop()
        if self.connections is not None:
            self.connections.close_all()


@dataclass
class EmulatorHandle:
    """A running emulator. Use it as a context manager or call `stop()`."""

    host: str
    port: int
    _server: ThreadedMotoServer = field(repr=False)
    _restore_env: dict[str, str | None] = field(repr=False, default_factory=dict)
    _restore_config: dict[str, Any] = field(repr=False, default_factory=dict)
    _stopped: bool = field(default=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """The URL to hand to boto3 (`endpoint_url=`) or to set as `AWS_ENDPOINT_URL`."""
        return f"http://{self.host}:{self.port}"

    def client(
        self, service: str, account_id: str | None = None, region: str = "us-east-1", **kwargs: Any
    ) -> Any:
        """A boto3 client on the emulator, acting as the root of `account_id` when given."""
        return client_for_account(service, account_id, self.endpoint_url, region, **kwargs)

    def reset(self) -> None:
        """Drop every resource in every account (moto's `/moto-api/reset`), federation state included."""
        url = f"{self.endpoint_url}/moto-api/reset"  # always http://host:port
        request = urllib.request.Request(url, method="POST", data=b"")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    def stop(self) -> None:
        """Stop the server (and the OIDC issuer) and restore the environment and moto config (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stop()
        stop_issuer_server()
        _restore(self._restore_env, self._restore_config)

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _set_env(values: dict[str, str]) -> dict[str, str | None]:
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    return previous


def _restore(environment: dict[str, str | None], config: dict[str, Any]) -> None:
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _moto_config.update(config)


def start_emulator(
    port: int = 5000, host: str = "127.0.0.1", middleware: Callable[[Any], Any] | None = None
) -> EmulatorHandle:
    """Configure moto, install the emulator patches and start a threaded moto server.

    `port=0` picks a free port. The server shares this process's moto state with any in-process
    `mock_aws`, so don't mix the two at the same time. `middleware` wraps moto's WSGI app.
    """
    restore_env = _set_env({**_ENVIRONMENT, "MOTO_PORT": str(port)})
    restore_config = {key: _moto_config.get(key) for key in EMULATOR_MOTO_CONFIG}
    for key, value in cast(dict[str, dict[str, Any]], EMULATOR_MOTO_CONFIG).items():
        # Merge, so other settings of the section survive.
        _moto_config[key] = {**(_moto_config.get(key) or {}), **value}
    install()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = _ThreadedServer(ip_address=host, port=port, verbose=False)
    server.middleware = middleware
    server.start()
    if server.startup_error is not None:
        _restore(restore_env, restore_config)
        raise server.startup_error
    bound_port = server.get_host_and_port()[1]
    if bound_port != port:
        os.environ["MOTO_PORT"] = str(bound_port)
    return EmulatorHandle(
        host=host,
        port=bound_port,
        _server=server,
        _restore_env=restore_env,
        _restore_config=restore_config,
    )


def lambda_execution_credentials(
    role_arn: str, session_name: str = "local-lambda", region: str = "us-east-1"
) -> dict[str, str]:
    """Credentials of a session of the execution role `role_arn`, as the Lambda service hands them over.

    Issued straight from moto's STS backend of the role's account, without the trust-policy check
    (the Lambda service, not an IAM principal, assumes execution roles). Works for the server
    started in this process and for the in-process mock alike.
    """
    from moto.sts.models import sts_backends

    _, partition, _, _, account_id, _ = role_arn.split(":", 5)
    session = sts_backends[account_id][partition].assume_role(
        region_name=region,
        role_session_name=session_name,
        role_arn=role_arn,
        policy="",
        duration=43200,
        external_id="",
    )
    return {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": session.expiration.isoformat(),
    }
