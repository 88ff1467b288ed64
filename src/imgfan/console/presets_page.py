"""The presets page: the live presets from SSM, their hash, and what ``imgfan presets diff``
would say about the local file."""

from __future__ import annotations

from pathlib import Path

from imgfan.console.html import esc, layout, pretty_json
from imgfan.live import InvalidLivePresets, LivePresets
from imgfan.live.presets_diff import diff_configs
from imgfan_core.errors import InvalidPresets
from imgfan_core.presets import PresetsConfig, load_presets_file, presets_hash

COLUMNS = ("name", "width", "height", "fit", "position", "format", "quality", "prefixes")


def presets_page(live: LivePresets | None, local_path: Path | None) -> str:
    if live is None:
        body = "<h1>Presets</h1><p>No presets parameter yet: run <code>imgfan presets push</code>.</p>"
        return layout("Presets", body, "Presets")
    try:
        config: PresetsConfig | None = live.config
    except InvalidLivePresets as exc:
        config = None
        problems = f'<div class="box error"><pre>{esc(exc)}</pre></div>'
    else:
        problems = ""
    facts = (
        f'<div class="box"><dl class="facts"><dt>Parameter</dt><dd class="key">{esc(live.parameter)}</dd>'
        f"<dt>Version</dt><dd>{live.version}</dd>"
        f'<dt>presets_hash</dt><dd class="key" id="presets-hash">'
        f"{esc(presets_hash(config) if config else '(invalid)')}</dd></dl></div>"
    )
    body = (
        f"<h1>Presets</h1>{facts}{problems}{_table(config) if config else ''}"
        f"{_diff(config, local_path)}"
        f"<h2>Parameter value</h2><pre>{pretty_json(live.text)}</pre>"
    )
    return layout("Presets", body, "Presets")


def _table(config: PresetsConfig) -> str:
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    rows = []
    for preset in config.presets:
        values = preset.model_dump(mode="json")
        cells = "".join(f"<td>{esc(_show(values.get(c)))}</td>" for c in COLUMNS)
        rows.append(f"<tr>{cells}</tr>")
    return f"<h2>Live presets</h2><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(all)"
    return str(value)


def _diff(live: PresetsConfig | None, local_path: Path | None) -> str:
    if local_path is None:
        return ""
    title = f"<h2><code>imgfan presets diff</code> against {esc(local_path)}</h2>"
    try:
        local = load_presets_file(local_path).config
    except InvalidPresets as exc:
        return f'{title}<div class="box error"><pre>{esc(exc)}</pre></div>'
    lines = diff_configs(live, local).lines()
    return f'{title}<pre id="presets-diff">{esc(chr(10).join(lines))}</pre>'
