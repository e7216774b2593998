"""Large listings answer page by page, as AWS does.

moto answers DescribeVolumes, DescribeSnapshots, DescribeSecurityGroups and Lambda's ListFunctions
with everything at once, whatever page size the caller asks for. AWS caps each page (1,000 items for
the EC2 ones, 50 functions for ListFunctions) and hands out a token for the next. So crawls of large
accounts made fewer, larger round trips here than against AWS, and the crawl benchmark's lower bound
(its longest chain of pages) came out too short. This patch pages those answers. Tokens are opaque
to callers but deterministic (the offset), so an unchanged account gets the same pages every time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from moto.awslambda.responses import LambdaResponse
from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidNextToken
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.responses.security_groups import SecurityGroups

_PATCH_MARK = "_skylight_pagination"
T = TypeVar("T")

# (response class, operation, result key, AWS's largest page)
EC2_LISTINGS: tuple[tuple[type, str, str, int], ...] = (
    (ElasticBlockStore, "describe_volumes", "Volumes", 1000),
    (ElasticBlockStore, "describe_snapshots", "Snapshots", 1000),
    (SecurityGroups, "describe_security_groups", "SecurityGroups", 1000),
)
LAMBDA_PAGE = 50  # ListFunctions' most


def page_of(items: Sequence[T], size: int, token: str | None) -> tuple[list[T], str | None]:
    """The page of `items` that `token` starts (the first without one), and the next page's token."""
    start = _offset(token) if token else 0
    page = list(items[start : start + size])
    end = start + len(page)
    return page, (_token(end) if end < len(items) else None)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str) -> int:
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError):
        raise InvalidNextToken(token) from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidNextToken(token)
    return offset


def _paged_ec2(original: Callable[..., ActionResult], key: str, largest: int) -> Callable[..., ActionResult]:
    def paged(self: Any) -> ActionResult:
        answer = original(self)
        asked = self._get_int_param("MaxResults")
        token = self._get_param("NextToken")
        if asked is None and token is None:
            return answer  # an unpaginated call gets everything, as in AWS
        result = dict(answer.result)  # type: ignore[call-overload]
        result[key], next_token = page_of(result[key], min(asked or largest, largest), token)
        if next_token:
            result["NextToken"] = next_token
        return ActionResult(result)

    setattr(paged, _PATCH_MARK, True)
    return paged


def install() -> None:
    if getattr(LambdaResponse.list_functions, _PATCH_MARK, False):
        return
    for response_class, operation, key, largest in EC2_LISTINGS:
        setattr(response_class, operation, _paged_ec2(getattr(response_class, operation), key, largest))

    def list_functions(self: LambdaResponse) -> str:
        version = self.querystring.get("FunctionVersion", [None])[0]
        asked = int(self.querystring.get("MaxItems", [LAMBDA_PAGE])[0])
        marker = self.querystring.get("Marker", [None])[0]
        functions = [function.get_configuration() for function in self.backend.list_functions(version)]
        page, next_marker = page_of(functions, min(asked, LAMBDA_PAGE), marker)
        return json.dumps({"Functions": page, **({"NextMarker": next_marker} if next_marker else {})})

    setattr(list_functions, _PATCH_MARK, True)
    LambdaResponse.list_functions = list_functions  # type: ignore[method-assign]
