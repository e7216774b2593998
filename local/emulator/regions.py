"""Enabled regions for EC2 DescribeRegions.

moto answers DescribeRegions with every region of every partition, marks some opt-in regions
(af-south-1, ap-southeast-3, eu-south-1) as on by default, and ignores `AllRegions`. AWS answers
with the caller's partition only, and without `AllRegions=true` with the enabled regions only: for
a new account, the regions that need no opt-in. This patch gives the real answer, so crawls see the
17 regions a fresh commercial account has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models.availability_zones_and_regions import Region
from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions
from moto.utilities.utils import get_partition

_PATCH_MARK = "_skylight_regions"

# Regions enabled in every new account of the commercial partition (all others need an opt-in).
DEFAULT_ENABLED = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ap-south-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ca-central-1",
        "eu-central-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-north-1",
        "sa-east-1",
    }
)


def opt_in_status(region: str) -> str:
    if get_partition(region) != "aws" or region in DEFAULT_ENABLED:
        return "opt-in-not-required"
    return "not-opted-in"


def install() -> None:
    original: Callable[..., Any] = AvailabilityZonesAndRegions.describe_regions
    if getattr(original, _PATCH_MARK, False):
        return

    def describe_regions(self: AvailabilityZonesAndRegions) -> ActionResult:
        self.error_on_dryrun()
        partition = get_partition(self.region)
        include_all = str(self._get_param("AllRegions", "false")).lower() == "true"
        wanted = set(self._get_param("RegionNames", []))
        regions = []
        for region in self.ec2_backend.describe_regions():
            if get_partition(region.name) != partition or (wanted and region.name not in wanted):
                continue
            status = opt_in_status(region.name)
            if include_all or wanted or status != "not-opted-in":
                regions.append(Region(region.name, region.endpoint, status))
        return ActionResult({"Regions": regions})

    setattr(describe_regions, _PATCH_MARK, True)
    AvailabilityZonesAndRegions.describe_regions = describe_regions  # type: ignore[method-assign]
