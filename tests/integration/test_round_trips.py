"""A successful connect waits on two sequential round trips to STS and the customer account when the
function is warm, three when it is cold (it first becomes the platform principal).

The role's credentials are used only once both confused-deputy attempts were denied; those attempts
run in the same round trip as the AssumeRole with the tenant's External ID, so refusing before acting
costs no round trip.

Every AWS call the validation makes is timed from the client's side with a fixed latency injected
before it is sent; the longest chain of calls that ran one after another is the number of
sequential round trips the tenant waited on.
"""

import threading
import time

from skylight.config import get_settings
from skylight.models.domain import Access
from skylight.providers.aws.gateway import Boto3AwsGateway
from skylight.providers.aws.permissions import probes_for
from skylight.providers.aws.provider import AwsProvider
from skylight.providers.base import TenantContext
from tests.support import CUSTOMER_ACCOUNT, PLATFORM_PRINCIPAL_ARN, create_customer_role, trust_policy

LATENCY_S = 0.25


class CallRecorder:
    """Records (operation, start, end) for every call, adding the same latency to each."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float, float]] = []
        self._started: dict[int, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def before(self, event_name="before-send.x.Call", **_):
        # On `before-send`: once signed, so a call made while signing (the platform principal's own
        # AssumeRole, when its session is new) is over before this one's latency starts.
        with self._lock:
            self._started[threading.get_ident()] = (event_name.rsplit(".", 1)[-1], time.monotonic())
        time.sleep(LATENCY_S)

    def after(self, **_):
        name, started = self._started.pop(threading.get_ident())
        with self._lock:
            self.calls.append((name, started, time.monotonic()))

    def hooks(self):
        return (("before-send", self.before), ("after-call", self.after))

    def sequential_depth(self) -> int:
        """Length of the longest chain of calls each starting after the previous one ended."""
        ordered = sorted(self.calls, key=lambda call: call[1])
        depth = [1] * len(ordered)
        for i, (_, start, _) in enumerate(ordered):
            for j in range(i):
                if ordered[j][2] <= start:
                    depth[i] = max(depth[i], depth[j] + 1)
        return max(depth, default=0)


def test_a_successful_connect_waits_on_three_round_trips_cold_and_two_warm(aws):
    external_id = "skylight-round-trip-test-external-id"
    role = create_customer_role(CUSTOMER_ACCOUNT, "Skylight", trust_policy(external_id=external_id))
    tenant = TenantContext(tenant_id="tenant-a", state={"external_id": external_id})
    # Overlap seen by the clock can only over-count on a loaded machine (a call of one round that
    # starts late looks sequential), never under-count: the fewest of a few fresh attempts is the
    # code's own chain.
    cold, warm = [], []
    for _ in range(3):
        recorder = CallRecorder()
        gateway = Boto3AwsGateway(PLATFORM_PRINCIPAL_ARN, get_settings().region, event_hooks=recorder.hooks())
        provider = AwsProvider(gateway=gateway, platform_principal_arn=PLATFORM_PRINCIPAL_ARN)
        credentials = provider.parse_credentials({"type": "role", "role_arn": role.arn})

        # Cold: the function first becomes the platform principal, then validates.
        assert provider.validate(credentials, Access.READ_WRITE, tenant).connected
        cold.append(recorder.sequential_depth())
        # Warm: the function already holds the platform principal's session (refreshed once an hour).
        recorder.calls.clear()
        report = provider.validate(credentials, Access.READ_WRITE, tenant)

        assert report.connected
        operations = sorted(name for name, _, _ in recorder.calls)
        assert operations.count("AssumeRole") == 3  # yours, without an External ID, with a wrong one
        assert {"GetCallerIdentity", "GetRole", "StopInstances"} <= set(operations)
        assert len(operations) == 3 + 1 + 1 + len(probes_for(Access.READ_WRITE))  # + identity, trust policy
        warm.append(recorder.sequential_depth())
    assert min(cold) == 3 and min(warm) == 2, (cold, warm)


def test_the_recorder_would_see_calls_made_one_after_another():
    recorder = CallRecorder()

    for _ in range(3):
        recorder.before()
        recorder.after()
    assert recorder.sequential_depth() == 3
