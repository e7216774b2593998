"""Inventory as stored and shown: compact resources, crawls, per-account summaries and health."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field


class Resource(BaseModel):
    """One cloud resource, stored compactly: identity, a handful of useful attributes, and tags."""

    id: str = Field(description="The ARN where the resource has one, else the provider's id")
    type: str = Field(description="aws.<service>.<resource>, e.g. aws.ec2.instance")
    region: str
    name: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)

    def content_hash(self) -> str:
        """Changes exactly when something shown about the resource changes."""
        document = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(document.encode(), digest_size=12).hexdigest()
