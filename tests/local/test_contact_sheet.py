"""Copying outputs to a local folder must never let a source key choose where files go."""

from __future__ import annotations

import pytest

from imgfan.contact_sheet import local_folder_name

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
