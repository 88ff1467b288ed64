"""moto's HTTP server, started as ``ThreadedMotoServer`` starts it but with imgfan's middleware
around its WSGI application, and other applications mounted beside it on the same port.

:func:`assert_hooks_present` fails loudly if moto or werkzeug move what this relies on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def make_server(host: str, port: int, wrap: Callable[[Any], Any]) -> Any:
    """A threaded werkzeug server for moto's dispatcher application, as ``wrap(application)``."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server as make_werkzeug_server

    app = wrap(DomainDispatcherApplication(create_backend_app))
    return make_werkzeug_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)


def serve_beside(server: Any, claims: Callable[[dict[str, Any]], bool], app: Any) -> None:
    """Requests that ``claims(environ)`` accepts go to ``app``; werkzeug reads ``server.app`` per request."""
    served = server.app
    server.app = lambda environ, start: (app if claims(environ) else served)(environ, start)


def assert_hooks_present() -> None:
    from moto.moto_server import werkzeug_app
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from werkzeug.serving import WSGIRequestHandler

    if "self._server = make_server(" not in inspect.getsource(ThreadedMotoServer._server_entry):
        raise RuntimeError("moto's ThreadedMotoServer no longer serves with werkzeug's make_server")
    for name in ("DomainDispatcherApplication", "MotoRequestHandler", "create_backend_app"):
        if not hasattr(werkzeug_app, name):
            raise RuntimeError(f"moto.moto_server.werkzeug_app.{name} is gone")
    if "self.server.app" not in inspect.getsource(WSGIRequestHandler.run_wsgi):
        raise RuntimeError("werkzeug no longer reads server.app per request; serve_beside() cannot mount")
