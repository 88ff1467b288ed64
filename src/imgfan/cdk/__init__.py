"""imgfan as a CDK construct: ``from imgfan.cdk import ImageVariants``.

The construct bundles what it deploys (the handlers, the state machine definitions, the shared
``imgfan_core`` layer with its pinned wheels for linux/arm64), so an app needs only
``pip install imgfan`` and Node.js for CDK itself.

``ImageVariants`` is imported on first use: the settings (``options``) are read without loading
aws-cdk-lib, so that a mistake in them is reported before CDK's Node process starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from imgfan.cdk.options import Options, SettingsError
from imgfan_core.presets import PresetsConfig

if TYPE_CHECKING:
    from imgfan.cdk.construct import ImageVariants

__all__ = ["ImageVariants", "Options", "PresetsConfig", "SettingsError"]


def __getattr__(name: str) -> Any:
    if name == "ImageVariants":
        from imgfan.cdk.construct import ImageVariants

        return ImageVariants
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
