"""The demo's local copy: a source key never chooses where files go, and the contact sheet shows them."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

import pytest

from imgfan.commands.contact_sheet import local_folder_name, write_contact_sheet

HOSTILE = ["../../etc/passwd.jpg", "..", ".", "a/b/c.jpg", "café.jpg", "cafè.jpg", "line\nbreak.jpg",
           "/leading-slash.jpg", "x" * 2000 + ".jpg", "a__b__c.jpg"]


@pytest.mark.parametrize("key", HOSTILE)
def test_a_key_becomes_one_safe_path_component(key, tmp_path):
    name = local_folder_name(key)
    assert name and "/" not in name and "\n" not in name and not name.startswith(".")
    assert len(name) <= 150
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()


def test_plain_keys_keep_their_name():
    assert local_folder_name("photo.jpg") == "photo.jpg"


def test_different_keys_get_different_folders():
    names = [local_folder_name(key) for key in HOSTILE]
    assert len(set(names)) == len(names)


def test_a_changed_key_keeps_a_readable_name_and_a_hash_of_the_original():
    key = "albums/2024/me & you.jpg"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    assert local_folder_name(key) == f"albums__2024__me_you.jpg-{digest}"


# ---- the HTML page ----------------------------------------------------------------------------


def manifest(status: str, variants: list[dict], placeholder: dict | None = None) -> dict:
    return {"status": status, "variants": variants, "placeholder": placeholder}


OK_VARIANT = {"preset": "thumb", "status": "ok", "key": "out/cat <1>.jpg/thumb.webp", "width": 200,
              "height": 150, "format": "webp", "bytes": 12345}
FAILED_VARIANT = {"preset": "large", "status": "failed", "error": {"type": "TransientError",
                                                                  "message": "gave up after <3> tries"}}


class Page(HTMLParser):
    """The parts of index.html a browser uses: image sources, links, figure captions, headings."""

    def __init__(self, text: str):
        super().__init__()
        self.images: list[dict[str, str]] = []
        self.links: list[str] = []
        self.captions: list[str] = []
        self.headings: list[str] = []
        self._text_into: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes)
        elif tag == "a":
            self.links.append(attributes["href"])
        elif tag in ("figcaption", "h2"):
            self._text_into = self.captions if tag == "figcaption" else self.headings
            self._text_into.append("")

    def handle_endtag(self, tag):
        if tag in ("figcaption", "h2"):
            self._text_into = None

    def handle_data(self, data):
        if self._text_into is not None:
            self._text_into[-1] += data


def test_contact_sheet_links_the_copied_files_and_escapes_keys_and_errors(tmp_path):
    key = "cat <1>.jpg"
    folder = tmp_path / local_folder_name(key)
    manifests = {key: manifest("partial", [OK_VARIANT, FAILED_VARIANT],
                               {"dominant_color": "#336699", "data_uri": "data:image/png;base64,AAAA"})}

    path = write_contact_sheet(tmp_path, manifests, {key: folder})

    assert path == tmp_path / "index.html"
    text = path.read_text(encoding="utf-8")
    assert "<1>" not in text  # the key and the error message arrive escaped
    page = Page(text)
    assert page.headings == [f"{key} partial"]
    assert page.images == [
        {"class": "lqip", "src": "data:image/png;base64,AAAA", "alt": "placeholder"},
        {"src": f"{folder.name}/thumb.webp", "loading": "lazy", "alt": "thumb"},
    ]
    assert page.links == [f"{folder.name}/manifest.json"]
    assert page.captions == [
        "thumb: 200×150 webp, 12,345 B",
        "large failed: TransientError: gave up after <3> tries",
    ]
    assert "background:#336699" in text


def test_contact_sheet_has_a_section_per_image_in_order_and_tolerates_no_placeholder(tmp_path):
    keys = ["b.jpg", "a.jpg"]
    manifests = {key: manifest("failed", [], None) for key in keys}
    folders = {key: tmp_path / local_folder_name(key) for key in keys}

    page = Page(write_contact_sheet(tmp_path, manifests, folders).read_text(encoding="utf-8"))

    assert page.headings == ["b.jpg failed", "a.jpg failed"]
    assert page.images == []
    assert page.links == ["b.jpg/manifest.json", "a.jpg/manifest.json"]
