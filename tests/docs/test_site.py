"""The documentation site: `mkdocs build --strict` is clean, and the built pages work in a browser.

mkdocs.yml turns every kind of broken link (a missing page, a missing anchor, a page left out of
the nav) into a warning, and --strict turns any warning into a failed build. The built files are
then opened from disk in Debian's Chromium, as someone reading the site offline would: the flow
diagram must load, every nav link must lead to a page, and nothing may come from the network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from browser import recording_page
from doc_pages import DOCS, REPO_ROOT

README_MAX_LINES = 220
DIAGRAM = "images/flow.svg"
# Material prints an end-of-life banner on every build; it is not a build warning.
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], env=BUILD_ENV, capture_output=True, text=True, timeout=300,
                          check=False)


def nav_pages(nav) -> list[str]:
    """The Markdown files the nav names, in order."""
    found = []
    for entry in nav:
        for value in (entry.values() if isinstance(entry, dict) else [entry]):
            found.extend(nav_pages(value) if isinstance(value, list) else [value])
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    done = build(REPO_ROOT / "mkdocs.yml", folder)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert warnings == []
    return folder


def test_every_nav_page_is_built(site):
    config = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    pages = nav_pages(config["nav"])
    assert len(pages) >= 20
    for page in pages:
        assert (site / page).with_suffix(".html").is_file(), page
    assert (site / DIAGRAM).is_file()


def test_a_broken_link_or_a_page_outside_the_nav_fails_the_build(tmp_path):
    # The strictness lives in mkdocs.yml's validation settings; this keeps them switched on.
    copy = tmp_path / "project"
    shutil.copytree(DOCS, copy / "docs")
    shutil.copy(REPO_ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    page = copy / "docs" / "presets.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[gone](manifest.md#no-such-heading)\n", encoding="utf-8")
    (copy / "docs" / "orphan.md").write_text("# Not in the nav\n", encoding="utf-8")
    done = build(copy / "mkdocs.yml", tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-heading" in done.stderr
    assert "orphan.md" in done.stderr


def test_readme_is_short_and_its_links_lead_to_files():
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES
    targets = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target]
    assert len(targets) >= 20
    for target in targets:
        assert (REPO_ROOT / target.split("#")[0]).is_file(), target
    assert f"docs/{DIAGRAM}" in targets


@pytest.fixture
def page(browser):
    """A fresh page that records every URL it requests."""
    with recording_page(browser) as page:
        yield page


def local_file(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", url
    return Path(unquote(parsed.path))


@pytest.mark.parametrize("name", ["index.html", "getting-started.html"])
def test_built_page_shows_the_flow_diagram_and_links_only_to_built_pages(page, site, name):
    page.goto((site / name).as_uri())
    page.wait_for_load_state("load")
    diagram = page.locator(f"article img[src$='{DIAGRAM}']").first
    assert diagram.evaluate("img => img.complete && img.naturalWidth") > 0
    links = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)")
    pages = {url.split("#")[0] for url in links}
    assert len(pages) >= 20
    for url in pages:
        assert local_file(url).is_file(), url
        assert site in local_file(url).parents
    # Nothing from a CDN or font service: the site reads offline.
    assert all(url.startswith(("file://", "data:")) for url in page.requests), page.requests


def test_every_nav_link_opens_a_page_with_a_heading(page, site):
    page.goto((site / "index.html").as_uri())
    links = page.eval_on_selector_all("nav.md-nav--primary a.md-nav__link[href]", "links => links.map(a => a.href)")
    for url in sorted({url.split("#")[0] for url in links}):
        page.goto(url)
        assert page.locator("article h1").count() == 1, url
