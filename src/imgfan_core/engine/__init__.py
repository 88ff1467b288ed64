"""Pure image logic (Pillow only, no AWS): analyze a source, render one preset's variant.

Errors are ``imgfan_core.errors.PermanentImageError`` subclasses with one-line messages.
"""

from imgfan_core.engine.api import RenderedVariant, SourceInfo, analyze, render_variant

__all__ = ["RenderedVariant", "SourceInfo", "analyze", "render_variant"]
