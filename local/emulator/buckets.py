"""Bucket regions in S3 ListBuckets.

AWS answers ListBuckets with each bucket's `BucketRegion`, which spares a GetBucketLocation per
bucket; moto leaves it out. This patch wraps `moto.s3.responses.S3Response.all_buckets` to answer
the same listing with the region of every bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.responses import S3Response

_PATCH_MARK = "_skylight_bucket_regions"


def install() -> None:
    original: Callable[..., Any] = S3Response.all_buckets
    if getattr(original, _PATCH_MARK, False):
        return

    def all_buckets(self: S3Response) -> Any:
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        found = self.backend.list_buckets(
            prefix=self._get_param("prefix"),
            bucket_region=self._get_param("bucket-region"),
            max_buckets=self._get_param("max-buckets"),
        )
        buckets = [
            {
                "Name": bucket.name,
                "CreationDate": bucket.creation_date_ISO8601,
                "BucketRegion": bucket.region_name,
            }
            for bucket in found
        ]
        self.data["Action"] = "ListBuckets"
        owner = {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"}
        return self.serialized(ActionResult({"Owner": owner, "Buckets": buckets}))

    setattr(all_buckets, _PATCH_MARK, True)
    S3Response.all_buckets = all_buckets  # type: ignore[method-assign]
