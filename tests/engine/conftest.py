"""Engine test fixtures; helpers live in engine_helpers.py."""

from __future__ import annotations

import pytest

from imgfan_core.presets import Limits, MetadataPolicy


@pytest.fixture
def limits() -> Limits:
    return Limits()


@pytest.fixture
def metadata() -> MetadataPolicy:
    return MetadataPolicy()
