"""The console in a real browser: Debian's Chromium driven by Playwright, against the embedded cloud.

Set IMGFAN_SCREENSHOT=1 to write docs/console-execution.png as well (the screenshot on docs/console.md
and in README.md).
"""

from __future__ import annotations

import io
import json
import os
from importlib import resources
from pathlib import Path

import pytest
from browser import recording_page
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
PHOTO = (Path(str(resources.files("imgfan") / "samples")) / "nikon-with-gps.jpg").read_bytes()
PRESETS = [p["name"] for p in json.loads((REPO_ROOT / "presets.json").read_text())["presets"]]
GOOD, NOT_AN_IMAGE = "console/some photo.jpg", "console/notes.jpg"
HOSTILE = "console/<script>alert('key')</script>.jpg"


@pytest.fixture(scope="module")
def uploaded(pipeline, console) -> dict[str, str]:
    """{key: its execution's name} for a good image, a text file and a key that is markup."""
    pipeline.upload(GOOD, PHOTO)
    pipeline.upload(NOT_AN_IMAGE, b"a shopping list, not a photo\n")
    pipeline.upload(HOSTILE, PHOTO)
    return {key: pipeline.manifest(key)["execution"]["name"] for key in (GOOD, NOT_AN_IMAGE, HOSTILE)}


@pytest.fixture
def page(browser, cloud) -> Page:
    """A fresh page that records every request and fails the test on any script dialog."""
    with recording_page(browser) as page:
        page.dialogs = []
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        yield page
    assert page.dialogs == []
    assert all(url.startswith(cloud.endpoint_url) for url in page.requests), page.requests


def save_screenshot(png: bytes) -> None:
    """docs/console-execution.png, in 256 colours: a third of the size, and the page still reads."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as shot:
        shot.convert("RGB").quantize(256).save(REPO_ROOT / "docs" / "console-execution.png", optimize=True)


def row_texts(page: Page) -> dict[str, str]:
    return {row.get_attribute("data-name"): row.inner_text() for row in page.locator("#rows tr[data-name]").all()}


def test_executions_page_lists_both_uploads_with_their_keys(page, console, uploaded):
    page.goto(console)
    rows = row_texts(page)
    for key in (GOOD, NOT_AN_IMAGE):
        assert key in rows[uploaded[key]]
    assert "failed" in rows[uploaded[NOT_AN_IMAGE]]  # the manifest's status
    assert "complete" in rows[uploaded[GOOD]]


def test_a_new_upload_appears_without_a_reload(page, console, pipeline, uploaded):
    page.goto(console)
    page.evaluate("window.notReloaded = true")
    key = "console/arrives later.jpg"
    pipeline.upload(key, PHOTO)
    expect(page.locator("#rows")).to_contain_text(key, timeout=120_000)
    assert page.evaluate("window.notReloaded") is True


def test_search_by_key_and_status_filter(page, console, uploaded):
    page.goto(console)
    page.fill("input[name=q]", NOT_AN_IMAGE)
    page.click("button[type=submit]")
    assert list(row_texts(page)) == [uploaded[NOT_AN_IMAGE]]
    page.select_option("select[name=status]", "RUNNING")
    page.fill("input[name=q]", "")
    page.click("button[type=submit]")
    assert all("RUNNING" in text for text in row_texts(page).values())


def test_the_good_execution_shows_its_states_and_every_presets_image(page, console, uploaded):
    page.goto(console)
    page.click(f"a:text-is('{uploaded[GOOD]}')")
    graph = {g.get_attribute("data-state"): g.get_attribute("data-status") for g in page.locator("svg g.state").all()}
    for state in ("Analyze", "RenderVariants", "Resize", "Finalize"):
        assert graph[state] == "succeeded", graph
    # The render state machine's own graph: deletes are drawn on their own executions' pages.
    assert "DeleteOutputs" not in graph and "Route" not in graph
    assert graph["ImageFailed"] == graph["ManifestNotWritten"] == "not run"
    iterations = page.locator("table.timeline tr.iteration").all()
    assert sorted(row.get_attribute("data-state") for row in iterations) == sorted(PRESETS)
    for preset in PRESETS:
        image = page.locator(f"figure[data-preset='{preset}'] img")
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth") > 0, preset
    broken = page.evaluate("[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0
    page.locator("tr.state[data-state='Analyze'] details summary").click()
    page.wait_for_selector("tr.state[data-state='Analyze'] details h3")
    assert GOOD in page.locator("tr.state[data-state='Analyze'] details pre").first.inner_text()
    if os.environ.get("IMGFAN_SCREENSHOT"):
        page.locator("tr.state[data-state='Analyze'] details summary").click()
        save_screenshot(page.screenshot(full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 2020}))


def test_the_failed_execution_shows_the_error_type(page, console, uploaded):
    page.goto(console)
    assert "FAILED" in row_texts(page)[uploaded[NOT_AN_IMAGE]]  # the execution's status, not only the manifest's
    page.goto(f"{console}execution/{uploaded[NOT_AN_IMAGE]}")
    # Finalize raised ImageFailed after the manifest; the cause and the manifest's box name the image's error.
    [execution_box, image_box] = page.locator(".box.error").all()
    assert execution_box.locator(".type").inner_text() == "ImageFailed"
    assert execution_box.locator(".cause").inner_text().startswith("NotAnImage: ")
    assert image_box.locator(".type").inner_text() == "NotAnImage"
    graph = {g.get_attribute("data-state"): g.get_attribute("data-status") for g in page.locator("svg g.state").all()}
    assert graph["Analyze"] in ("caught", "failed") and graph["RenderVariants"] == "not run"
    assert graph["ImageFailed"] != "not run" and graph["ManifestNotWritten"] == "not run"
    attempt = page.locator("table.timeline tr.attempt").first.inner_text()
    assert "NotAnImage" in attempt


def test_a_key_that_is_markup_is_shown_as_text(page, console, uploaded):
    page.goto(console)
    assert HOSTILE in row_texts(page)[uploaded[HOSTILE]]
    page.goto(f"{console}execution/{uploaded[HOSTILE]}")
    assert HOSTILE in page.locator("dl.facts").inner_text()
    assert page.locator("script").count() == 1  # the console's own


def test_a_delete_is_listed_and_drawn_from_its_own_state_machine(page, console, pipeline):
    key = "console/deleted later.jpg"
    pipeline.upload(key, PHOTO)
    pipeline.manifest(key)
    pipeline.s3.delete_object(Bucket=pipeline.source_bucket, Key=key)
    page.goto(console)
    expect(page.locator("#rows")).to_contain_text("delete-deleted_later.jpg-", timeout=120_000)
    [name] = [n for n in row_texts(page) if n.startswith("delete-deleted_later.jpg-")]
    page.goto(f"{console}execution/{name}")
    graph = {g.get_attribute("data-state"): g.get_attribute("data-status") for g in page.locator("svg g.state").all()}
    assert set(graph) == {"DeleteOutputs", "OutputsNotDeleted"}
    assert graph["OutputsNotDeleted"] == "not run"
