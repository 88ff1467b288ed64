"""An HTML contact sheet of every variant, written next to the copied files."""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>imgfan contact sheet</title>
<style>
body{{font:14px system-ui,sans-serif;margin:2rem;background:#f6f6f6;color:#222}}
.grid{{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}}
figure{{margin:0;background:#fff;padding:.5rem;border-radius:6px;box-shadow:0 1px 3px #0002}}
figure img{{max-width:320px;max-height:240px;display:block;
  background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px}}
figure.failed{{background:#fee;color:#900;max-width:320px}}
.swatch{{display:inline-block;width:1em;height:1em;border-radius:3px;margin-right:.4em;vertical-align:-2px}}
.lqip{{height:1.2em;margin-left:.5em;vertical-align:-3px}}
small{{font-weight:normal;color:#666;margin-left:.5em}}
</style></head><body><h1>imgfan contact sheet</h1>
{sections}
</body></html>
"""


def local_folder_name(source_key: str) -> str:
    """A single safe path component for a source key: no separators, no '..', no control characters.

    A key that had to be changed gets a short hash of the original, so two keys that differ only
    in characters we replace (``café.jpg``, ``cafè.jpg``) do not share, and overwrite, a folder.
    """
    name = _UNSAFE.sub("_", source_key.replace("/", "__")).strip("._") or "object"
    if name == source_key:
        return name[:150]
    digest = hashlib.sha256(source_key.encode("utf-8")).hexdigest()[:8]
    return f"{name[:140]}-{digest}"


def write_contact_sheet(out: Path, manifests: dict[str, dict], folders: dict[str, Path]) -> Path:
    """``out/index.html``: one section per source key, its variants read from ``folders[key]``."""
    sections = "".join(
        _section(key, manifest, folders[key].relative_to(out).as_posix())
        for key, manifest in manifests.items()
    )
    path = out / "index.html"
    path.write_text(_PAGE.format(sections=sections), encoding="utf-8")
    return path


def _section(key: str, manifest: dict, folder: str) -> str:
    placeholder = manifest.get("placeholder") or {}
    swatch = html.escape(placeholder.get("dominant_color") or "transparent")
    thumb = placeholder.get("data_uri")
    thumb_html = f'<img class="lqip" src="{html.escape(thumb)}" alt="placeholder">' if thumb else ""
    cards = "".join(_card(variant, folder) for variant in manifest["variants"])
    return (
        f'<section><h2><span class="swatch" style="background:{swatch}"></span>{html.escape(key)} '
        f'<small>{html.escape(manifest["status"])}</small>{thumb_html}</h2>'
        f'<p><a href="{folder}/manifest.json">manifest.json</a></p>'
        f'<div class="grid">{cards}</div></section>'
    )


def _card(variant: dict, folder: str) -> str:
    preset = html.escape(variant["preset"])
    if variant["status"] != "ok":
        error = variant.get("error") or {}
        message = html.escape(f"{error.get('type')}: {error.get('message')}")
        return f'<figure class="failed"><figcaption>{preset} failed: {message}</figcaption></figure>'
    name = html.escape(variant["key"].rsplit("/", 1)[-1])
    caption = (
        f"{variant['preset']}: {variant['width']}×{variant['height']} {variant['format']}, "
        f"{variant['bytes']:,} B"
    )
    return (
        f'<figure><img src="{folder}/{name}" loading="lazy" alt="{preset}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )
