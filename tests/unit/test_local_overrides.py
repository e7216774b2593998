"""The local run lets its operator shorten the settings that otherwise take weeks to show."""

from local.run import with_operator_overrides

STACK = {
    "TABLE_NAME": "skylight",
    "RETENTION_DAYS": "30",
    "CREDENTIAL_WARN_DAYS": "60",
    "CREDENTIAL_ROTATE_DAYS": "90",
}


def test_the_operators_days_win_over_the_stacks():
    chosen = with_operator_overrides(STACK, {"RETENTION_DAYS": "0", "CREDENTIAL_WARN_DAYS": "1"})
    assert (chosen["RETENTION_DAYS"], chosen["CREDENTIAL_WARN_DAYS"], chosen["CREDENTIAL_ROTATE_DAYS"]) == (
        "0",
        "1",
        "90",
    )


def test_nothing_else_and_nothing_malformed_is_taken_from_the_shell():
    chosen = with_operator_overrides(STACK, {"TABLE_NAME": "elsewhere", "RETENTION_DAYS": "soon"})
    assert chosen == STACK
