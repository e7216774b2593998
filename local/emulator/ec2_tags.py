"""An EC2 resource's tags read from its own entry, not by scanning every tag of the region.

moto renders each EC2 resource's `tagSet` by running its DescribeTags filter over every tag of the
region, one regular expression per tag: answering a listing costs the square of the region's
resources. A region with a few thousand tagged instances, volumes and snapshots kept the emulator
busy long enough for other clients' requests to time out. This patch reads the resource's own tags
directly; the answer (keys, values, order, resource type) is what the filter returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

_PATCH_MARK = "_skylight_direct_tags"


def install() -> None:
    original: Callable[..., Any] = TaggedEC2Resource.get_tags
    if getattr(original, _PATCH_MARK, False):
        return

    def get_tags(self: Any) -> list[dict[str, str]]:
        if not self.id:
            return []
        own = self.ec2_backend.tags.get(self.id) or {}
        resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
        return [
            {"resource_id": self.id, "key": key, "value": value, "resource_type": resource_type}
            for key, value in own.items()
        ]

    setattr(get_tags, _PATCH_MARK, True)
    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]
