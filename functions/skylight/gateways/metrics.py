"""Publishing metrics: CloudWatch's embedded metric format, written to the function's log.

Each metric goes out on its own with exactly its catalogue dimensions, so one invocation can
publish several dimension sets without mixing them, and without Powertools' default `service`
dimension (it would clash with the cloud service some metrics are by).
"""

from __future__ import annotations

import json
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.base import SingleMetric

from skylight.models.metrics import NAMESPACE, MetricSpec

# CloudWatch keeps dimension values up to this long.
MAX_DIMENSION_VALUE = 250


class MetricsSink(Protocol):
    def record(self, metric: MetricSpec, value: float, **dimensions: str) -> None:
        """Publish `value` of `metric`, with a value for each of its dimensions."""
        ...


class EmfMetrics:
    """The deployed sink: one EMF document per metric on standard output (CloudWatch Logs)."""

    def record(self, metric: MetricSpec, value: float, **dimensions: str) -> None:
        if set(dimensions) != set(metric.dimensions):
            raise ValueError(
                f"{metric.name} takes the dimensions {metric.dimensions}, not {sorted(dimensions)}"
            )
        published = SingleMetric(namespace=NAMESPACE, service="")
        published.add_metric(name=metric.name, unit=MetricUnit(metric.unit), value=value)
        for name in metric.dimensions:
            published.add_dimension(name=name, value=dimensions[name][:MAX_DIMENSION_VALUE] or "none")
        # EMF: CloudWatch reads the metric from the function's log.
        print(json.dumps(published.serialize_metric_set(), separators=(",", ":")))
