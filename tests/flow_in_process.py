"""Flow's REST API in this process: a ``requests`` transport through Django's test client.

A test that pushes through it needs no live server: each request runs in the test's
thread and transaction, so the test can use plain ``django_db`` (rolled back, not flushed).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

BASE_URL = "http://flow.test"  # any host: the adapter is mounted for it, nothing resolves it


class FlowInProcess(BaseAdapter):
    """Sends each request to the Django project under test through its test client."""

    def __init__(self) -> None:
        super().__init__()
        self.client = Client()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("content-type", "host")
        }
        answer = self.client.generic(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            data=request.body or b"",
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = answer.content
        response.url = request.url
        response.request = request
        response.connection = self
        return response

    def close(self) -> None:
        pass
