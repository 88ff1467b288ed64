"""The executions page: every execution, newest first, refreshed in place every two seconds."""

from __future__ import annotations

from imgfan.console.html import badge, esc, href, layout, seconds
from imgfan.live import ExecutionSummary
from imgfan.live.console_address import CONSOLE_PATH

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
REFRESH_MS = 2000

# Fetches the rows for the same filters and swaps them in: no reload, no lost scroll position.
_REFRESH_SCRIPT = f"""
const rows=document.getElementById('rows'),stamp=document.getElementById('updated');
setInterval(async()=>{{if(document.hidden)return;
try{{const r=await fetch('{CONSOLE_PATH}rows'+location.search);
if(r.ok){{rows.innerHTML=await r.text();stamp.textContent=new Date().toLocaleTimeString();}}}}catch(e){{}}
}},{REFRESH_MS});
"""


def matches(summary: ExecutionSummary, status: str, search: str) -> bool:
    execution = summary.execution
    if status and execution.status != status:
        return False
    needle = search.strip().lower()
    return not needle or needle in (execution.source_key or "").lower() or needle in execution.name.lower()


def rows_html(summaries: list[ExecutionSummary], status: str, search: str) -> str:
    shown = [s for s in summaries if matches(s, status, search)]
    if not shown:
        what = "match these filters" if status or search else "have run yet"
        return f'<tr><td colspan="7" class="muted">No executions {what}.</td></tr>'
    return "".join(_row(s) for s in shown)


def _row(summary: ExecutionSummary) -> str:
    execution = summary.execution
    return (
        f'<tr data-name="{esc(execution.name)}"><td><a href="{href("execution", execution.name)}">'
        f'{esc(execution.name)}</a></td><td class="key">{esc(execution.source_key or "?")}</td>'
        f"<td>{esc(execution.action or '?')}</td><td>{badge(execution.status)}</td>"
        f"<td>{badge(summary.manifest_status)}</td>"
        f'<td class="num">{esc(execution.started.strftime("%Y-%m-%d %H:%M:%S"))}</td>'
        f'<td class="num">{esc(seconds(execution.seconds))}</td></tr>'
    )


def executions_page(summaries: list[ExecutionSummary], status: str, search: str) -> str:
    options = "".join(
        f'<option value="{s}"{" selected" if s == status else ""}>{s.title().replace("_", " ")}</option>'
        for s in STATUSES
    )
    body = (
        "<h1>Executions</h1>"
        f'<form class="filters" method="get" action="{href("")}">'
        f'<label>Status <select name="status"><option value="">All</option>{options}</select></label>'
        f'<input type="search" name="q" value="{esc(search)}" placeholder="Search by source key or name">'
        '<button type="submit">Filter</button>'
        f'<span class="muted">updated <span id="updated">now</span>, every {REFRESH_MS // 1000} s</span></form>'
        "<table><thead><tr><th>Name</th><th>Source key</th><th>Action</th><th>Status</th>"
        "<th>Manifest</th><th>Started (UTC)</th><th>Duration</th></tr></thead>"
        f'<tbody id="rows">{rows_html(summaries, status, search)}</tbody></table>'
    )
    return layout("Executions", body, "Executions", _REFRESH_SCRIPT)
