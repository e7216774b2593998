"""Alarms, their topic and the dashboard: what each alarm watches, where it notifies, what it says,
and a dashboard whose Skylight widgets are exactly the metrics the code publishes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.config import REPO_ROOT, SkylightSettings
from infra.constructs.operations import NEAR_TIMEOUT, RUNBOOK
from skylight.models.metrics import CATALOGUE, NAMESPACE
from tests.infrastructure.conftest import FUNCTIONS, StackView


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        key: value["Properties"]
        for key, value in template["Resources"].items()
        if value["Type"] == "AWS::CloudWatch::Alarm"
    }


def topic_id(template: dict[str, Any]) -> str:
    (topic,) = [key for key, value in template["Resources"].items() if value["Type"] == "AWS::SNS::Topic"]
    return topic


def named(template: dict[str, Any], fragment: str) -> dict[str, Any]:
    (found,) = [props for key, props in alarms(template).items() if key.startswith(f"Operations{fragment}")]
    return found


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {
        query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query
    }


def test_every_alarm_notifies_the_topic_and_links_its_runbook_section(view: StackView) -> None:
    topic = {"Ref": topic_id(view.template)}
    runbook = (REPO_ROOT / RUNBOOK).read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("# ").lower()).replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("## ")
    }

    found = alarms(view.template)
    assert len(found) >= 3 * len(FUNCTIONS) + 9
    for alarm in found.values():
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"
        section = alarm["AlarmDescription"].rsplit(f"{RUNBOOK}#", 1)[1]
        assert section in anchors, section


def test_the_topic_is_encrypted_takes_only_tls_and_is_an_output(view: StackView) -> None:
    topic = topic_id(view.template)
    assert "KmsMasterKeyId" in view.resources[topic]["Properties"]
    policies = [
        value["Properties"]["PolicyDocument"]["Statement"]
        for value in view.of_type("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic} in value["Properties"]["Topics"]
    ]
    denies = [s for statements in policies for s in statements if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)
    assert view.template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic}
    # CloudWatch may use the key to publish, for this account's alarms only.
    key = view.properties("Key")["KeyPolicy"]["Statement"]
    (cloudwatch,) = [s for s in key if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert "aws:SourceAccount" in cloudwatch["Condition"]["StringEquals"]


def test_each_function_has_error_throttle_and_near_timeout_alarms(view: StackView) -> None:
    for function in FUNCTIONS:
        name = view.ids[function]
        watching = [
            alarm
            for alarm in alarms(view.template).values()
            if alarm.get("Dimensions") == [{"Name": "FunctionName", "Value": {"Ref": name}}]
        ]
        by_metric = {alarm["MetricName"]: alarm for alarm in watching}
        assert set(by_metric) == {"Errors", "Throttles", "Duration"}, function
        assert by_metric["Errors"]["Threshold"] == by_metric["Throttles"]["Threshold"] == 1
        timeout_ms = view.properties(function)["Timeout"] * 1000
        assert by_metric["Duration"]["Statistic"] == "Maximum"
        assert by_metric["Duration"]["Threshold"] == round(timeout_ms * NEAR_TIMEOUT)


def test_the_api_workflow_table_and_queue_alarms_watch_what_they_say(view: StackView) -> None:
    template = view.template
    defaults = SkylightSettings()
    error_rate = named(template, "ApiErrorRate")
    assert metric_names(error_rate) == {"5xx", "Count"}
    assert error_rate["Threshold"] == defaults.api_error_rate_percent
    latency = named(template, "ApiLatencyP99")
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("Latency", "p99")
    assert latency["Threshold"] == defaults.api_p99_latency_ms
    for fragment, metric in (
        ("WorkflowFailed", "ExecutionsFailed"),
        ("WorkflowTimedOut", "ExecutionsTimedOut"),
        ("WorkflowAborted", "ExecutionsAborted"),
    ):
        alarm = named(template, fragment)
        assert alarm["MetricName"] == metric and alarm["Namespace"] == "AWS/States"
        assert alarm["Dimensions"] == [
            {"Name": "StateMachineArn", "Value": {"Ref": view.ids["StateMachine"]}}
        ]
    assert named(template, "PurgeFailuresWaiting")["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert metric_names(named(template, "TableThrottles")) == {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert metric_names(named(template, "TableSystemErrors")) == {"SystemErrors"}


def test_the_crawl_and_validation_alarms_read_skylights_own_metrics(view: StackView) -> None:
    defaults = SkylightSettings()
    failures = named(view.template, "AwsCrawlFailures")
    stats = [query["MetricStat"] for query in failures["Metrics"] if "MetricStat" in query]
    assert {stat["Metric"]["Namespace"] for stat in stats} == {NAMESPACE}
    assert {
        tuple(sorted((d["Name"], d["Value"]) for d in stat["Metric"]["Dimensions"])) for stat in stats
    } == {(("provider", "aws"), ("status", status)) for status in ("failed", "partial", "succeeded")}
    assert all(stat["Period"] == 3600 for stat in stats)
    assert failures["Threshold"] == defaults.crawl_failure_percent
    retry = named(view.template, "AwsRetryLater")
    assert (retry["Namespace"], retry["MetricName"]) == (NAMESPACE, "Validations")
    assert {"Name": "outcome", "Value": "retry_later"} in retry["Dimensions"]
    assert retry["Threshold"] == defaults.retry_later_validations


def test_thresholds_and_the_email_come_from_context(overridden_template: dict[str, Any]) -> None:
    assert named(overridden_template, "ApiErrorRate")["Threshold"] == 2
    assert named(overridden_template, "AwsCrawlFailures")["Threshold"] == 40
    (subscription,) = [
        value["Properties"]
        for value in overridden_template["Resources"].values()
        if value["Type"] == "AWS::SNS::Subscription"
    ]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "ops@example.com")


def rendered_dashboard(view: StackView) -> dict[str, Any]:
    (dashboard,) = view.of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(part if isinstance(part, str) else "TOKEN" for part in parts))


def test_the_dashboards_skylight_widgets_are_exactly_the_published_metrics(view: StackView) -> None:
    specs = {spec.name: spec for spec in CATALOGUE}
    shown: dict[str, set[tuple[str, ...]]] = {}
    for widget in rendered_dashboard(view)["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            fields = [field for field in metric if not isinstance(field, dict)]
            if fields[0] != NAMESPACE:
                continue
            name, dimensions = fields[1], tuple(fields[2::2])
            assert name in specs, f"a widget shows {name}, which nothing publishes"
            assert set(dimensions) == set(specs[name].dimensions), name
            shown.setdefault(name, set()).add(dimensions)
    assert set(shown) == set(specs), f"published without a widget: {sorted(set(specs) - set(shown))}"


@pytest.mark.parametrize(
    "title", ["API requests and 5xx", "Crawls an hour by status", "Validations by outcome"]
)
def test_the_dashboard_has_the_views_an_operator_starts_from(view: StackView, title: str) -> None:
    assert title in [widget["properties"].get("title") for widget in rendered_dashboard(view)["widgets"]]
