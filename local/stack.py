"""Create in the emulator what the synthesized CloudFormation template defines.

The local run never describes its own resources: it reads the stack's template (the same one
`cdk deploy` uses) and makes each resource it needs with the emulator's APIs, resolving the
template's intrinsic functions on the way. Resource types the emulator cannot run (API Gateway,
layers) are stood in for by the local HTTP adapter and the in-process function runner.
"""

from __future__ import annotations

import http.server
import io
import json
import queue
import re
import threading
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_NAME = "Skylight"
_NO_VALUE = object()


@dataclass
class Physical:
    """A created resource: what `Ref` returns and its `Fn::GetAtt` attributes."""

    ref: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class LocalStack:
    """What the local run needs to know about the created resources."""

    resources: dict[str, Physical]
    template: dict[str, Any]
    parameters: dict[str, str]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def function_named(self, handler: str) -> Physical:
        for logical_id, resource in self.of_type("AWS::Lambda::Function").items():
            if resource["Properties"]["Handler"] == handler:
                return self.resources[logical_id]
        raise KeyError(handler)


class Resolver:
    """Evaluates the intrinsic functions CDK emits, against the resources created so far."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _INTRINSICS.get(key)
            if function is not None:
                return function(self, argument)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not _NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.stack.parameters:
            return self.stack.parameters[name]
        return self.stack.resources[name].ref

    def get_att(self, argument: Any) -> str:
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        return self.stack.resources[logical_id].attributes[attribute]

    def sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        variables = {k: self.resolve(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(name)
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)


_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(a),
    "Fn::GetAtt": lambda r, a: r.get_att(a),
    "Fn::Join": lambda r, a: str(a[0]).join(str(x) for x in r.resolve(a[1])),
    "Fn::Sub": lambda r, a: r.sub(a),
    "Fn::Select": lambda r, a: r.resolve(a[1])[int(r.resolve(a[0]))],
    "Fn::Split": lambda r, a: str(r.resolve(a[1])).split(a[0]),
    "Fn::If": lambda r, a: r.resolve(a[1]),  # the local run takes every condition's true branch
}


def dependencies(value: Any) -> set[str]:
    """Logical ids a template fragment refers to."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= dependencies(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str) and not item.startswith("AWS::"):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".")[0])
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found |= {
                    n.split(".")[0] for n in re.findall(r"\$\{([^}!]+)\}", text) if not n.startswith("AWS::")
                }
                found |= dependencies(item[1] if isinstance(item, list) else {})
            else:
                found |= dependencies(item)
    return found


Creator = Callable[[str, dict[str, Any], Resolver], Physical]
#: Told of every function once it exists: its name, template properties and the resolver.
FunctionHook = Callable[[str, dict[str, Any], Resolver], None]


class CustomResourceResponse:
    """A loopback HTTP server that takes the one PUT a custom resource's function answers with."""

    def __init__(self) -> None:
        answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._answers = answers

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                answers.put(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/response"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CustomResourceResponse:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, timeout_s: float) -> dict[str, Any]:
        try:
            return self._answers.get(timeout=timeout_s)
        except queue.Empty:
            raise RuntimeError("the custom resource's function never answered") from None


def provision(
    template: dict[str, Any], parameters: dict[str, str], creators: dict[str, Creator]
) -> LocalStack:
    """Create every resource that has a creator, in dependency order; others get a placeholder."""
    stack = LocalStack(resources={}, template=template, parameters=parameters)
    resolver = Resolver(stack)
    pending = dict(template["Resources"])
    while pending:
        ready = [
            logical_id
            for logical_id, resource in pending.items()
            if (_needs(resource) & set(template["Resources"])) <= set(stack.resources)
        ]
        if not ready:
            raise RuntimeError(f"circular references between {sorted(pending)}")
        for logical_id in ready:
            resource = pending.pop(logical_id)
            creator = creators.get(resource["Type"])
            if creator is None and resource["Type"].startswith("Custom::"):
                creator = creators.get(CUSTOM_RESOURCE)
            properties = resource.get("Properties", {})
            stack.resources[logical_id] = (
                creator(logical_id, properties, resolver)
                if creator
                else _placeholder(logical_id, resource["Type"])
            )
    return stack


#: The creator of every `Custom::` resource type: its function is asked as CloudFormation asks it.
CUSTOM_RESOURCE = "AWS::CloudFormation::CustomResource"


def _needs(resource: dict[str, Any]) -> set[str]:
    """What must exist before `resource`: what its properties refer to, and its `DependsOn`."""
    depends_on = resource.get("DependsOn", [])
    return dependencies(resource.get("Properties", {})) | set(
        [depends_on] if isinstance(depends_on, str) else depends_on
    )


def _placeholder(logical_id: str, resource_type: str) -> Physical:
    service = resource_type.split("::")[1].lower()
    arn = f"arn:aws:{service}:{REGION}:{ACCOUNT}:{logical_id.lower()}"
    return Physical(ref=logical_id, attributes={"Arn": arn})


def physical_name(logical_id: str, given: Any) -> str:
    return str(given) if given else f"{STACK_NAME}-{logical_id}"[:64]


class EmulatorResources:
    """How each resource type the local run needs is created in the emulator."""

    def __init__(self, endpoint_url: str, on_function: FunctionHook | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._on_function = on_function

    def creators(self) -> dict[str, Creator]:
        return {
            "AWS::KMS::Key": self.kms_key,
            "AWS::KMS::Alias": self.kms_alias,
            "AWS::DynamoDB::GlobalTable": self.table,
            "AWS::DynamoDB::Table": self.table,
            "AWS::IAM::Role": self.role,
            "AWS::IAM::Policy": self.policy,
            "AWS::Lambda::Function": self.function,
            "AWS::StepFunctions::StateMachine": self.state_machine,
            "AWS::Scheduler::ScheduleGroup": self.schedule_group,
            "AWS::Logs::LogGroup": self.log_group,
            CUSTOM_RESOURCE: self.custom_resource,
        }

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint_url)

    def kms_key(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        # KeySpec and KeyUsage as the template has them: an HMAC key (the cursor key) only MACs.
        key = self.client("kms").create_key(
            Description=logical_id,
            Policy=json.dumps(r.resolve(props["KeyPolicy"])),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )
        metadata = key["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            self.client("kms").enable_key_rotation(KeyId=metadata["KeyId"])
        return Physical(ref=metadata["KeyId"], attributes={"Arn": metadata["Arn"]})

    def kms_alias(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = r.resolve(props["AliasName"])
        self.client("kms").create_alias(AliasName=name, TargetKeyId=r.resolve(props["TargetKeyId"]))
        return Physical(ref=name)

    def table(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = physical_name(logical_id, r.resolve(props.get("TableName")))
        ddb = self.client("dynamodb")
        arguments: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        replica = (props.get("Replicas") or [{}])[0]
        key = (replica.get("SSESpecification") or {}).get("KMSMasterKeyId")
        if key:
            arguments["SSESpecification"] = {
                "Enabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": r.resolve(key),
            }
        description = ddb.create_table(**arguments)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        # No stream locally: moto never expires items by TTL, so nothing would ever flow on it.
        arn = description["TableArn"]
        return Physical(ref=name, attributes={"Arn": arn, "StreamArn": f"{arn}/stream/local"})

    def role(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = physical_name(logical_id, r.resolve(props.get("RoleName")))
        iam = self.client("iam")
        created = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(r.resolve(props["AssumeRolePolicyDocument"])),
            MaxSessionDuration=int(props.get("MaxSessionDuration", 3600)),
        )["Role"]
        for policy in r.resolve(props.get("Policies", [])):
            iam.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=json.dumps(policy["PolicyDocument"]),
            )
        return Physical(ref=name, attributes={"Arn": created["Arn"], "RoleId": created["RoleId"]})

    def policy(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        document = json.dumps(r.resolve(props["PolicyDocument"]))
        for role_name in r.resolve(props.get("Roles", [])):
            self.client("iam").put_role_policy(
                RoleName=role_name, PolicyName=props["PolicyName"], PolicyDocument=document
            )
        return Physical(ref=logical_id)

    def function(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = physical_name(logical_id, r.resolve(props.get("FunctionName")))
        created = self.client("lambda").create_function(
            FunctionName=name,
            Role=r.resolve(props["Role"]),
            Handler=props["Handler"],
            Runtime=props.get("Runtime", "python3.13"),
            Code={"ZipFile": _placeholder_zip()},  # the code runs in-process from functions/
            Timeout=int(props.get("Timeout", 30)),
            MemorySize=int(props.get("MemorySize", 128)),
            Environment={"Variables": r.resolve(props.get("Environment", {}).get("Variables", {}))},
        )
        if self._on_function is not None:
            self._on_function(name, props, r)
        return Physical(ref=name, attributes={"Arn": created["FunctionArn"]})

    def custom_resource(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        """Ask the resource's function to create it, as CloudFormation does: a Create request with a
        URL to PUT the outcome to (here a one-shot receiver on loopback), whose `Data` are the
        resource's attributes."""
        resolved = r.resolve(props)
        with CustomResourceResponse() as receiver:
            request = {
                "RequestType": "Create",
                "ServiceToken": resolved["ServiceToken"],
                "ResponseURL": receiver.url,
                "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/local",
                "RequestId": str(uuid.uuid4()),
                "ResourceType": r.stack.template["Resources"][logical_id]["Type"],
                "LogicalResourceId": logical_id,
                "ResourceProperties": resolved,
            }
            self.client("lambda").invoke(FunctionName=resolved["ServiceToken"], Payload=json.dumps(request))
            answer = receiver.answer(timeout_s=60)
        if answer.get("Status") != "SUCCESS":
            raise RuntimeError(f"{logical_id} failed: {answer.get('Reason')}")
        return Physical(ref=str(answer["PhysicalResourceId"]), attributes=dict(answer.get("Data") or {}))

    def state_machine(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        from infra.synth import render_state_machine_definition

        definition = render_state_machine_definition(r.stack.template, r.resolve)
        created = self.client("stepfunctions").create_state_machine(
            name=physical_name(logical_id, r.resolve(props.get("StateMachineName"))),
            definition=json.dumps(definition),
            roleArn=r.resolve(props["RoleArn"]),
            type=props.get("StateMachineType", "STANDARD"),
        )
        arn = created["stateMachineArn"]
        return Physical(ref=arn, attributes={"Arn": arn, "Name": arn.rsplit(":", 1)[-1]})

    def schedule_group(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = physical_name(logical_id, r.resolve(props.get("Name")))
        arn = self.client("scheduler").create_schedule_group(Name=name)["ScheduleGroupArn"]
        return Physical(ref=name, attributes={"Arn": arn})

    def log_group(self, logical_id: str, props: dict[str, Any], r: Resolver) -> Physical:
        name = physical_name(logical_id, r.resolve(props.get("LogGroupName")))
        self.client("logs").create_log_group(logGroupName=name)
        return Physical(ref=name, attributes={"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"})


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "README.txt", "Skylight's handlers run in-process from functions/ in the local run.\n"
        )
    return buffer.getvalue()
