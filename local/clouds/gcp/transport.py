"""How the real google-auth and requests reach the fake while keeping Google's own URLs.

Production code names `https://sts.googleapis.com/...` and so on; in the local run a requests
session gets this adapter, which sends every `*.googleapis.com` request to the fake on loopback,
with the Google host kept in the `Host` header and TLS verified with the local run's CA.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import requests
from requests.adapters import HTTPAdapter

GOOGLE_SUFFIX = ".googleapis.com"


class GoogleApisOnLoopback(HTTPAdapter):
    # google-auth deep-copies the session's adapters for a background call (allowedLocations): the
    # copy must keep where it sends requests, so the fields are listed here.
    __attrs__ = [*HTTPAdapter.__attrs__, "fake_base_url", "ca_bundle_path"]  # noqa: RUF012 - as requests has it

    def __init__(self, fake_base_url: str = "", ca_bundle_path: str = "", **kwargs: Any) -> None:
        self.fake_base_url = fake_base_url
        self.ca_bundle_path = ca_bundle_path
        super().__init__(**kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = urllib.parse.urlsplit(request.url or "")
        if url.hostname and url.hostname.endswith(GOOGLE_SUFFIX):
            fake = urllib.parse.urlsplit(self.fake_base_url)
            request.headers["Host"] = url.hostname
            request.url = urllib.parse.urlunsplit(url._replace(netloc=fake.netloc))
            kwargs["verify"] = self.ca_bundle_path
        return super().send(request, *args, **kwargs)


def google_session(fake_base_url: str, ca_bundle_path: str) -> requests.Session:
    """A requests session whose calls to Google's APIs reach the fake."""
    session = requests.Session()
    session.mount("https://", GoogleApisOnLoopback(fake_base_url, ca_bundle_path))
    return session
