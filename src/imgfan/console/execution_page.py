"""One execution: the graph, the table of states and Map iterations, the failure, the variants
beside their presets, and the manifest; what the Step Functions console shows, plus imgfan's own."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from imgfan.console.data import ExecutionDetail
from imgfan.console.graph import build_graph, legend, render_svg
from imgfan.console.html import badge, esc, href, layout, pretty_json, seconds
from imgfan.live.timeline import (
    RUNNING,
    Attempt,
    Iteration,
    StateRun,
    Timeline,
    describe_outcome,
    readable_cause,
)

# Opens a row's input and output the first time it is expanded: the page itself stays small.
_IO_SCRIPT = """
document.querySelectorAll('details[data-src]').forEach(d=>d.addEventListener('toggle',async()=>{
if(!d.open||d.dataset.loaded)return;d.dataset.loaded=1;
const r=await fetch(d.dataset.src);d.querySelector('div').innerHTML=await r.text();}));
"""
_RELOAD_WHILE_RUNNING = "setTimeout(()=>location.reload(),2000);"


def execution_page(detail: ExecutionDetail, definition: dict[str, Any]) -> str:
    execution = detail.summary.execution
    statuses = detail.timeline.state_statuses()
    body = (
        f"<h1>{esc(execution.name)}</h1>{_facts(detail)}{_failures(detail)}"
        f'<h2>Graph</h2><div class="graph">{render_svg(build_graph(definition), statuses)}</div>{legend()}'
        f"<h2>States and Map iterations</h2>{_table(detail.timeline, execution.name)}"
        f"{_variants(detail)}{_manifest(detail)}"
    )
    script = _IO_SCRIPT + (_RELOAD_WHILE_RUNNING if execution.status == "RUNNING" else "")
    return layout(execution.name, body, "Executions", script)


def _facts(detail: ExecutionDetail) -> str:
    execution = detail.summary.execution
    source = f"s3://{execution.source_bucket or '?'}/{execution.source_key or '?'}"
    rows = [
        ("Status", badge(execution.status)),
        ("Manifest", badge(detail.summary.manifest_status)),
        ("Action", esc(execution.action or "?")),
        ("Source", f'<span class="key">{esc(source)}</span>'),
        ("Started (UTC)", esc(execution.started.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3])),
        ("Duration", esc(seconds(execution.seconds))),
        ("ARN", f'<span class="key">{esc(execution.arn)}</span>'),
    ]
    return '<div class="box"><dl class="facts">' + "".join(
        f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows
    ) + "</dl></div>"


def _failures(detail: ExecutionDetail) -> str:
    """The execution's error and cause, and the image's error from the manifest, readable."""
    execution = detail.summary.execution
    boxes = []
    if execution.error or execution.cause:
        boxes.append(_error_box("Execution failed", execution.error, execution.cause))
    manifest = detail.summary.manifest
    error = manifest.document.get("error") if manifest else None
    if isinstance(error, dict):
        boxes.append(_error_box("Image failed", error.get("type"), error.get("message")))
    return "".join(boxes)


def _error_box(title: str, error: str | None, cause: str | None) -> str:
    readable = readable_cause(cause)
    full = f"<details><summary>full cause</summary><pre>{pretty_json(cause)}</pre></details>" if (
        cause and readable != cause) else ""
    return (
        f'<div class="box error"><strong>{esc(title)}:</strong> <span class="type">{esc(error or "?")}</span>'
        f" <span class=\"cause\">{esc(readable)}</span>{full}</div>"
    )


def _table(timeline: Timeline, name: str) -> str:
    rows = []
    for number, (depth, row) in enumerate(timeline.walk()):
        rows.append(_row(timeline.started, depth, row, href("execution", name, "io", str(number))))
        if isinstance(row, StateRun) and (row.retries or any(a.error for a in row.attempts)):
            rows += [_attempt_row(timeline.started, depth + 1, a) for a in row.attempts]
    return (
        '<table class="timeline"><thead><tr><th>State / iteration</th><th>Type</th><th>Status</th>'
        "<th>Started after</th><th>Duration</th><th>Retries</th><th>Input and output</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _offset(start: datetime | None, at: datetime) -> str:
    return "-" if start is None else seconds((at - start).total_seconds())


def _row(start: datetime | None, depth: int, row: StateRun | Iteration, io_href: str) -> str:
    is_iteration = isinstance(row, Iteration)
    kind = "Map iteration" if is_iteration else row.kind
    retries = "" if is_iteration else str(row.retries or "")
    label = row.status if is_iteration else describe_outcome(row)
    io = "" if is_iteration else (
        f'<details data-src="{io_href}"><summary>show</summary><div><a href="{io_href}">open</a></div></details>'
    )
    return (
        f'<tr class="{"iteration" if is_iteration else "state"}" data-state="{esc(row.name)}" '
        f'data-status="{esc(row.status)}"><td class="indent{depth}">{esc(row.name)}</td>'
        f"<td>{esc(kind)}</td><td>{badge(row.status, label)}</td>"
        f'<td class="num">{_offset(start, row.started)}</td><td class="num">{esc(seconds(row.seconds))}</td>'
        f'<td class="num">{retries}</td><td>{io}</td></tr>'
    )


def _attempt_row(start: datetime | None, depth: int, attempt: Attempt) -> str:
    error = ""
    if attempt.error:
        error = f'<span class="type">{esc(attempt.error)}</span>: {esc(readable_cause(attempt.cause))}'
    return (
        f'<tr class="attempt"><td class="indent{min(depth, 3)}">attempt {attempt.number}</td><td></td>'
        f"<td>{badge(attempt.status)}</td><td class=\"num\">{_offset(start, attempt.started)}</td>"
        f'<td class="num">{esc(seconds(attempt.seconds))}</td><td></td><td>{error}</td></tr>'
    )


def io_fragment(timeline: Timeline, number: int) -> str | None:
    """Row ``number``'s input and output, formatted; None when there is no such state row."""
    rows = timeline.walk()
    if not 0 <= number < len(rows) or not isinstance(rows[number][1], StateRun):
        return None
    run = rows[number][1]
    output = "" if run.status == RUNNING else f"<h3>Output</h3><pre>{pretty_json(run.output or '')}</pre>"
    return f"<h3>Input</h3><pre>{pretty_json(run.input or '')}</pre>{output}"


def _variant_src(manifest: dict[str, Any], variant: dict[str, Any]) -> str:
    """The manifest's url (the embedded S3 serves it to browsers), else a path-style S3 URL."""
    url = variant.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return url
    bucket = (manifest.get("output") or {}).get("bucket", "")
    return f"/{quote(bucket)}/{quote(variant.get('key') or '')}"


def _variants(detail: ExecutionDetail) -> str:
    manifest = detail.summary.manifest
    if manifest is None:
        if detail.current_manifest_execution:
            other = detail.current_manifest_execution
            return (f'<h2>Variants</h2><p class="muted">The manifest at this key was since written by '
                    f'<a href="{href("execution", other)}">{esc(other)}</a>.</p>')
        return ""
    figures = "".join(_figure(manifest.document, v) for v in manifest.document.get("variants", []))
    return f'<h2>Variants</h2><div class="variants">{figures}</div>'


def _figure(manifest: dict[str, Any], variant: dict[str, Any]) -> str:
    preset = esc(variant.get("preset"))
    if variant.get("status") != "ok":
        error = variant.get("error") or {}
        return (
            f'<figure class="failed" data-preset="{preset}"><figcaption><strong>{preset}</strong> failed: '
            f'<span class="type">{esc(error.get("type"))}</span> {esc(error.get("message"))}</figcaption></figure>'
        )
    src = esc(_variant_src(manifest, variant))
    caption = (f"{variant.get('width')}×{variant.get('height')} {variant.get('format')}, "
               f"{variant.get('bytes', 0):,} bytes")
    return (
        f'<figure data-preset="{preset}"><a href="{src}"><img src="{src}" alt="{preset}"></a>'
        f"<figcaption><strong>{preset}</strong> {esc(caption)}</figcaption></figure>"
    )


def _manifest(detail: ExecutionDetail) -> str:
    manifest = detail.summary.manifest
    if manifest is None:
        return ""
    return (f'<h2>Manifest</h2><p class="key muted">{esc(manifest.url)}</p>'
            f"<pre>{pretty_json(manifest.document)}</pre>")
