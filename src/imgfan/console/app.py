"""The console as a WSGI application: routes, read-only methods, headers, errors.

Mounted on the embedded cloud's port under ``/_imgfan/`` (see ``imgfan.local.cloud``). It only
answers GET and HEAD, and reads the cloud through its AWS APIs: a request never changes state.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from botocore.exceptions import BotoCoreError, ClientError

from imgfan.console.data import ConsoleData
from imgfan.console.execution_page import execution_page, io_fragment
from imgfan.console.executions_page import executions_page, rows_html
from imgfan.console.html import esc, layout
from imgfan.console.presets_page import presets_page
from imgfan.live import LiveStateError, Stack
from imgfan.live.console_address import ABOUT, CONSOLE_PATH, IDENTITY

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@dataclass
class Response:
    status: str
    body: str
    content_type: str = "text/html; charset=utf-8"


def _csp(page: str) -> str:
    """Only this page's own inline scripts may run (by hash): a key that slipped through
    escaping as a <script> would still not execute."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _SCRIPT.findall(page)
    ) or "'none'"
    return (f"default-src 'none'; script-src {hashes}; "
            "style-src 'unsafe-inline'; img-src 'self' data: http: https:; connect-src 'self'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def not_found(what: str) -> Response:
    body = f"<h1>Not found</h1><p>{esc(what)}</p><p><a href=\"{CONSOLE_PATH}\">All executions</a></p>"
    return Response("404 Not Found", layout("Not found", body, ""))


class ConsoleApp:
    def __init__(self, stack: Stack, presets_path: Path | None = None):
        self.data = ConsoleData(stack, presets_path)
        self.stack = stack

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            response = Response("405 Method Not Allowed", "The console only reads.", "text/plain; charset=utf-8")
        else:
            response = self._respond(environ)
        body = response.body.encode("utf-8")
        headers = [
            ("Content-Type", response.content_type), ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"), ("Content-Security-Policy", _csp(response.body)),
        ]
        if response.status.startswith("405"):
            headers.append(("Allow", "GET, HEAD"))
        start_response(response.status, headers)
        return [b""] if method == "HEAD" else [body]

    def _respond(self, environ: dict[str, Any]) -> Response:
        path = unquote(environ.get("PATH_INFO", "")).removeprefix(CONSOLE_PATH)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            return self._route(path.split("/"), query, environ)
        except (LiveStateError, ClientError, BotoCoreError) as exc:
            body = f"<h1>Cannot read the cloud</h1><div class=\"box error\"><pre>{esc(exc)}</pre></div>"
            return Response("503 Service Unavailable", layout("Unavailable", body, ""))
        except Exception:  # noqa: BLE001 - a bug: say so on the page, keep the traceback in the log
            traceback.print_exc(file=sys.stderr)
            return Response("500 Internal Server Error", layout("Error", "<h1>Internal error</h1>", ""))

    def _route(self, parts: list[str], query: dict[str, str], environ: dict[str, Any]) -> Response:
        status, search = query.get("status", ""), query.get("q", "")
        match parts:
            case [""] | ["executions"]:
                return Response("200 OK", executions_page(self.data.summaries(), status, search))
            case ["rows"]:
                return Response("200 OK", rows_html(self.data.summaries(), status, search))
            case ["execution", name]:
                detail = self.data.detail(name)
                if detail is None:
                    return not_found(f"No execution named {name!r}.")
                return Response("200 OK", execution_page(detail, self.data.definition_for(detail.summary.execution)))
            case ["execution", name, "io", number] if number.isdigit():
                detail = self.data.detail(name)
                fragment = io_fragment(detail.timeline, int(number)) if detail else None
                return Response("200 OK", fragment) if fragment is not None else not_found("No such state.")
            case ["presets"]:
                return Response("200 OK", presets_page(self.data.live_presets(), self.data.presets_path))
            case [name] if name == ABOUT:
                return Response("200 OK", json.dumps(self.about(environ)), "application/json")
        return not_found(f"Nothing at {CONSOLE_PATH}{'/'.join(parts)}.")

    def about(self, environ: dict[str, Any]) -> dict[str, Any]:
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        return {"service": IDENTITY, "url": f"http://{host}{CONSOLE_PATH}",
                "region": self.stack.cloud.region, "stack": self.stack.name}
