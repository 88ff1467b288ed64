"""The console over HTTP on the embedded cloud's port: read-only, self-contained, escaped."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from imgfan.console import is_console_request
from imgfan.console.executions_page import rows_html
from imgfan.live import Execution, ExecutionSummary


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.cloud
def test_the_console_only_reads(console):
    status, headers, _ = fetch(console, "POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


@pytest.mark.cloud
def test_pages_load_nothing_from_elsewhere_and_run_only_their_own_scripts(console):
    for path in ("", "presets", "execution/no-such-execution"):
        status, headers, page = fetch(console + path)
        assert status == (404 if path.startswith("execution/") else 200), page
        assert not re.search(r'(?:src|href)="(?:https?:)?//', page), path
        assert "script-src 'sha256-" in headers["Content-Security-Policy"] or "<script>" not in page
        assert "default-src 'none'" in headers["Content-Security-Policy"]


@pytest.mark.cloud
def test_about_json_names_the_console_and_the_region(console, cloud):
    status, _, body = fetch(console + "about.json")
    assert status == 200
    assert json.loads(body) == {"service": "imgfan-console", "url": console, "region": cloud.region,
                                "stack": "Imgfan"}


@pytest.mark.parametrize("host, path, console", [
    ("127.0.0.1:4566", "/_imgfan/", True),
    ("localhost:4566", "/_imgfan/presets", True),
    ("[::1]:4566", "/_imgfan/", True),
    ("my-bucket.localhost:4566", "/_imgfan/x", False),  # virtual-hosted S3: a key starting with _imgfan/
    ("127.0.0.1:4566", "/my-bucket/_imgfan/", False),
    ("127.0.0.1:4566", "/_imgfanx", False),
])
def test_only_console_paths_on_the_servers_own_host_reach_the_console(host, path, console):
    assert is_console_request({"HTTP_HOST": host, "PATH_INFO": path}) is console


def test_rows_show_keys_and_names_as_text():
    key = "a/<script>alert(1)</script>&.jpg"
    execution = Execution("render-x", "arn:x", "SUCCEEDED", datetime(2026, 1, 1, tzinfo=UTC),
                          input=json.dumps({"action": "render", "source": {"bucket": "b", "key": key}}))
    html = rows_html([ExecutionSummary(execution)], "", "")
    assert "<script>" not in html
    assert "a/&lt;script&gt;alert(1)&lt;/script&gt;&amp;.jpg" in html
    assert rows_html([ExecutionSummary(execution)], "FAILED", "").count("<tr") == 1  # the "none match" row
    assert "No executions match" in rows_html([ExecutionSummary(execution)], "", "nothing-like-it")
