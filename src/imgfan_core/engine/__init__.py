"""Pure image logic (Pillow only, no AWS): analyze a source, render one preset's variant.

Errors are ``imgfan_core.errors.PermanentImageError`` subclasses with one-line messages.
"""

from imgfan_core.engine.api import RENDERER, analyze, render_variant, renderer_for
from imgfan_core.engine.focus import parse_focus
from imgfan_core.engine.models import (
    InputLimits,
    MetadataSpec,
    OverlaySpec,
    RenderedVariant,
    RenderSpec,
    SourceInfo,
)
from imgfan_core.engine.overlay import OverlayImage

__all__ = [
    "RENDERER",
    "InputLimits",
    "MetadataSpec",
    "OverlayImage",
    "OverlaySpec",
    "RenderSpec",
    "RenderedVariant",
    "SourceInfo",
    "analyze",
    "parse_focus",
    "render_variant",
    "renderer_for",
]
