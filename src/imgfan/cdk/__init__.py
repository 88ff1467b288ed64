"""imgfan as a CDK construct: ``from imgfan.cdk import ImageVariants``.

The construct bundles what it deploys (the handlers, the state machine definitions, the shared
``imgfan_core`` layer with its pinned wheels for linux/arm64), so an app needs only
``pip install imgfan`` and Node.js for CDK itself.
"""

from imgfan.cdk.construct import ImageVariants
from imgfan.cdk.options import Options, SettingsError
from imgfan_core.presets import PresetsConfig

__all__ = ["ImageVariants", "Options", "PresetsConfig", "SettingsError"]
