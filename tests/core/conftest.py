"""Fixtures of the tests that talk to a bare moto server (``moto_endpoint`` in tests/conftest.py)."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def s3(aws):
    return aws("s3")


@pytest.fixture
def bucket(s3) -> str:
    """A new, empty bucket of the test's own."""
    name = f"bucket-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name
