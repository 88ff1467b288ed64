"""The pieces every console page is made of: escaping, the layout, the stylesheet, badges.

Everything that comes from the cloud (keys, names, errors, manifests) is user input and goes
through ``esc`` before it reaches a page; the only markup is what this package writes itself.
No external assets: the style and the one small script are inline, so the console works offline.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote

from imgfan.live.console_address import CONSOLE_PATH


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def href(*parts: str, query: str = "") -> str:
    """A console URL; each path part is percent-encoded, the result HTML-escaped."""
    path = CONSOLE_PATH + "/".join(quote(part, safe="") for part in parts)
    return esc(path + (f"?{query}" if query else ""))


def badge(status: str | None, label: str | None = None) -> str:
    if not status:
        return '<span class="badge none">-</span>'
    css = status.lower().replace(" ", "-").replace("_", "-")
    return f'<span class="badge {esc(css)}">{esc(label or status)}</span>'


def pretty_json(text_or_value: Any) -> str:
    """Indented JSON for a <pre>; text that is not JSON is shown as it is."""
    value = text_or_value
    if isinstance(text_or_value, str):
        try:
            value = json.loads(text_or_value)
        except ValueError:
            return esc(text_or_value)
    return esc(json.dumps(value, indent=2, ensure_ascii=False))


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def layout(title: str, body: str, active: str, script: str = "") -> str:
    nav = "".join(
        f'<a href="{href(path)}"{" class=active" if name == active else ""}>{name}</a>'
        for name, path in (("Executions", ""), ("Presets", "presets"))
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)} · imgfan console</title><style>{STYLE}</style></head>"
        f'<body><header><strong>imgfan</strong> console<nav>{nav}</nav></header>'
        f"<main>{body}</main>{f'<script>{script}</script>' if script else ''}</body></html>"
    )


STYLE = """
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#f4f5f7}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.5rem;background:#232f3e;color:#fff}
header nav a{color:#d5dbe3;margin-right:1rem;text-decoration:none}
header nav a.active,header nav a:hover{color:#fff;text-decoration:underline}
main{padding:1rem 1.5rem;max-width:1400px}
h1{font-size:1.3rem;margin:.2rem 0 .8rem;word-break:break-all}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%;box-shadow:0 1px 2px #0002}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#fafbfc;font-weight:600;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.key{font-family:ui-monospace,monospace;word-break:break-all}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:12px;font-weight:600;
  background:#e3e6ea;color:#333;white-space:nowrap}
.succeeded,.complete,.ok{background:#dff3e3;color:#1d6b2c}
.failed,.timed-out,.aborted{background:#fde2e1;color:#a3231b}
.caught,.partial{background:#ffedd5;color:#8a4b00}
.running{background:#dbeafe;color:#1e4fa3}
.none,.not-run{background:#eef0f2;color:#6b7280}
.box{background:#fff;padding:.8rem 1rem;box-shadow:0 1px 2px #0002;margin:.6rem 0}
.error{border-left:4px solid #d13212;background:#fff6f5}
.error .type{font-weight:700;color:#a3231b}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.facts dt{color:#5f6b7a}dl.facts dd{margin:0;word-break:break-all}
form.filters{display:flex;gap:.6rem;align-items:center;margin:.4rem 0 .8rem}
form.filters input[type=search]{width:22rem;padding:.3rem}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:28rem;margin:.3rem 0;font-size:12px}
details summary{cursor:pointer;color:#0b5cad}
.graph{background:#fff;box-shadow:0 1px 2px #0002;overflow:auto;padding:.5rem}
.graph svg text{font:13px system-ui,sans-serif}
.legend span{margin-right:.6rem}
.variants{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}
.variants figure{margin:0;background:#fff;padding:.5rem;box-shadow:0 1px 2px #0002;max-width:340px}
.variants img{max-width:320px;max-height:240px;display:block;
  background:repeating-conic-gradient(#ddd 0 25%,#fff 0 50%) 0 0/16px 16px}
.variants figure.failed{background:#fff6f5}
td.indent1{padding-left:1.8rem}td.indent2{padding-left:3.2rem}td.indent3{padding-left:4.6rem}
tr.attempt td{color:#5f6b7a;font-size:13px;border-bottom:1px dashed #eee}
.muted{color:#6b7280}
"""
