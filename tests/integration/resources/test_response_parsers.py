"""The crawler's XML parsers give exactly what botocore's own give, for every answer a listing reads."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import pytest

from skylight.gateways.response_parsers import PlannedEC2QueryParser, PlannedQueryParser
from skylight.gateways.sessions import parse_timestamp, shared_botocore_session
from skylight.providers.aws.resources import resource_modules
from tests.integration.resources import builders as b

REGION = "us-east-1"


class Answers:
    """Every answer the clients receive, as botocore hands it to its parser (a `before-parse` hook)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any], Any]] = []

    def __call__(self, operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        protocol = operation_model.service_model.resolved_protocol
        self.seen.append((protocol, dict(response_dict), operation_model))


def _botocore_parse(protocol: str, response: dict[str, Any], operation_model: Any) -> Any:
    parser = botocore.parsers.create_parser(protocol)
    parser._timestamp_parser = parse_timestamp  # the same timestamps, to compare the parsing alone
    return parser.parse(dict(response), operation_model.output_shape)


def _planned_parse(protocol: str, response: dict[str, Any], operation_model: Any) -> Any:
    factory = shared_botocore_session().get_component("response_parser_factory")
    return factory.create_parser(protocol).parse(dict(response), operation_model.output_shape)


def _listed_answers(services: set[str]) -> Answers:
    answers = Answers()
    for resource_module in resource_modules():
        if resource_module.type.service not in services:
            continue
        client = b.client(resource_module.type.service, REGION)
        client.meta.events.register("before-parse", answers)
        try:
            for _ in resource_module.fetch(client):
                pass
        finally:
            client.meta.events.unregister("before-parse", answers)
    return answers


def test_the_shared_session_hands_out_the_planned_parsers() -> None:
    factory = shared_botocore_session().get_component("response_parser_factory")
    assert isinstance(factory.create_parser("ec2"), PlannedEC2QueryParser)
    assert isinstance(factory.create_parser("query"), PlannedQueryParser)
    assert type(factory.create_parser("json")) is botocore.parsers.JSONParser


def test_every_xml_listing_parses_exactly_as_botocore_parses_it() -> None:
    b.every_type(REGION)
    ec2 = b.client("ec2", REGION)
    # Instances with the nested parts a real fleet has: several tags, interfaces, block devices.
    ec2.run_instances(
        ImageId=b.image(REGION, "rich"),
        MinCount=3,
        MaxCount=3,
        InstanceType="m5.large",
        BlockDeviceMappings=[{"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 20}}],
        TagSpecifications=b.tag_specs("instance", {"Name": "web", "team": "blue", "env": ""}),
    )
    answers = _listed_answers({"ec2", "rds", "autoscaling", "elbv2"})

    protocols = {protocol for protocol, _, _ in answers.seen}
    assert protocols == {"ec2", "query"}
    operations = {model.name for _, _, model in answers.seen}
    assert {"DescribeInstances", "DescribeSnapshots", "DescribeDBInstances"} <= operations
    for protocol, response, model in answers.seen:
        ours = _planned_parse(protocol, response, model)
        assert ours == _botocore_parse(protocol, response, model), model.name
    instances = [_planned_parse(p, r, m) for p, r, m in answers.seen if m.name == "DescribeInstances"]
    listed = [i for page in instances for res in page["Reservations"] for i in res["Instances"]]
    assert sum(len(i.get("Tags", [])) == 3 for i in listed) == 3  # nested lists made it through


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("ec2", lambda c: c.describe_instances(InstanceIds=["i-0000000000000000f"])),
        ("rds", lambda c: c.describe_db_instances(DBInstanceIdentifier="missing")),
    ],
)
def test_error_answers_parse_exactly_as_botocore_parses_them(service: str, call: Any) -> None:
    client = b.client(service, REGION)
    answers = Answers()
    client.meta.events.register("before-parse", answers)
    with pytest.raises(client.exceptions.ClientError):
        call(client)
    client.meta.events.unregister("before-parse", answers)
    [(protocol, response, model)] = answers.seen
    assert response["status_code"] >= 400
    assert _planned_parse(protocol, response, model) == _botocore_parse(protocol, response, model)
