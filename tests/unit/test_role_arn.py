"""Parsing IAM role ARNs: what is accepted, and a precise reason for what is not."""

import pytest

from skylight.providers.aws.arn import RoleArnError, parse_role_arn


@pytest.mark.parametrize(
    ("arn", "partition", "account", "path", "name"),
    [
        ("arn:aws:iam::111122223333:role/Skylight", "aws", "111122223333", "/", "Skylight"),
        (
            "arn:aws-us-gov:iam::111122223333:role/a/b/Skylight",
            "aws-us-gov",
            "111122223333",
            "/a/b/",
            "Skylight",
        ),
        ("arn:aws-cn:iam::111122223333:role/x+=,.@_-y", "aws-cn", "111122223333", "/", "x+=,.@_-y"),
    ],
)
def test_valid_role_arns_are_parsed_into_their_parts(arn, partition, account, path, name):
    role = parse_role_arn(arn)
    assert (role.partition, role.account_id, role.path, role.name) == (partition, account, path, name)
    assert str(role) == arn


@pytest.mark.parametrize(
    ("arn", "reason"),
    [
        ("", "must be an ARN"),
        ("role/Skylight", "must be an ARN"),
        ("arn:aws:iam::111122223333", "must look like"),
        ("arn:aws-iso:iam::111122223333:role/x", "partition must be one of"),
        ("arn:aws:s3::111122223333:role/x", "must be an IAM ARN"),
        ("arn:aws:iam:us-east-1:111122223333:role/x", "must be an IAM ARN"),
        ("arn:aws:iam::11112222333:role/x", "12 digits"),
        ("arn:aws:iam::1111222233334:role/x", "12 digits"),
        ("arn:aws:iam::11112222333a:role/x", "12 digits"),
        ("arn:aws:iam::111122223333:user/x", "must name a role"),
        ("arn:aws:iam::111122223333:role/", "role name must be"),
        ("arn:aws:iam::111122223333:role/" + "x" * 65, "role name must be"),
        ("arn:aws:iam::111122223333:role/bad name", "role name must be"),
        # The whole string, ASCII only: nothing around it, no Unicode digits or letters.
        ("  arn:aws:iam::111122223333:role/Padded  ", "must not start or end"),
        ("arn:aws:iam::111122223333:role/Skylight\n", "must not start or end"),
        (
            "arn:aws:iam::\u0661\u0661\u0661\u0661\u0662\u0662\u0662\u0662\u0663\u0663\u0663\u0663:role/x",
            "12 digits",
        ),
        (
            "arn:aws:iam::\uff11\uff11\uff11\uff11\uff12\uff12\uff12\uff12\uff13\uff13\uff13\uff13:role/x",
            "12 digits",
        ),
        ("arn:aws:iam::111122223333:role/Sky\u0663light", "role name must be"),
        ("arn:aws:iam::111122223333:role/\uff33kylight", "role name must be"),
        ("arn:aws:iam::111122223333:role/caf\u00e9", "role name must be"),
        ("arn:aws:iam::111122223333:role/p\u00e4th/x", "role name must be"),
        ("arn:aws:iam::111122223333:role/" + "p" * 511 + "/x", "role name must be"),
    ],
)
def test_invalid_role_arns_are_refused_with_the_reason(arn, reason):
    with pytest.raises(RoleArnError, match=reason):
        parse_role_arn(arn)


def test_a_64_character_role_name_is_the_longest_accepted():
    assert parse_role_arn("arn:aws:iam::111122223333:role/" + "r" * 64).name == "r" * 64


def test_the_longest_path_iam_allows_is_accepted():
    # "/" + 510 + "/" is 512 characters, IAM's limit for a path.
    assert parse_role_arn("arn:aws:iam::111122223333:role/" + "p" * 510 + "/x").path == "/" + "p" * 510 + "/"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws:iam::111122223333:role/skylight"),
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws:iam::111122223333:role/SKYLIGHT"),
        # Role names are unique in an account whatever their path: another path is the same role.
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws:iam::111122223333:role/Team/skylight"),
        ("arn:aws:iam::111122223333:role/a/Skylight", "arn:aws:iam::111122223333:role/A/Skylight"),
    ],
)
def test_arns_that_name_the_same_role_have_the_same_identity(first, second):
    assert parse_role_arn(first).identity == parse_role_arn(second).identity


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws:iam::111122223334:role/Skylight"),
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws-cn:iam::111122223333:role/Skylight"),
        ("arn:aws:iam::111122223333:role/Skylight", "arn:aws:iam::111122223333:role/Skylight2"),
    ],
)
def test_arns_of_different_roles_have_different_identities(first, second):
    assert parse_role_arn(first).identity != parse_role_arn(second).identity
