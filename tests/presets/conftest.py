"""Fixtures for the presets tests: a real moto server over HTTP for the SSM-backed commands."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import boto3
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def moto_endpoint():
    """A moto server on a free port with fake credentials; no stubs, real HTTP."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def aws(moto_endpoint):
    def client(service: str):
        return boto3.client(service, endpoint_url=moto_endpoint, region_name="us-east-1")

    return client


@pytest.fixture
def repo_presets() -> dict:
    return json.loads((REPO / "presets.json").read_text(encoding="utf-8"))


@pytest.fixture
def write_presets(tmp_path):
    def write(document: dict | str, name: str = "presets.json") -> Path:
        path = tmp_path / name
        path.write_text(
            document if isinstance(document, str) else json.dumps(document, indent=2), encoding="utf-8"
        )
        return path

    return write
