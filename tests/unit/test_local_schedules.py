"""The local schedule runner reads Scheduler's rate expressions as the service does."""

import pytest

from local.schedules import interval_seconds


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(15 minutes)", 900),
        ("rate(1 minute)", 60),
        ("rate(6 hours)", 21600),
        ("rate(1 day)", 86400),
        ("cron(0 12 * * ? *)", None),
        ("rate(five minutes)", None),
    ],
)
def test_rate_expressions(expression, seconds):
    assert interval_seconds(expression) == seconds
