"""Where the local Lambda runtime unpacks deployed zips: one folder per code digest, inside its work dir.

Lambda's CodeSha256 is the base64 of the zip's SHA-256: one digest in 64 starts with ``/`` (the
path then left the work dir for the filesystem's root) and about half hold a ``/`` somewhere.
The digests here are built to hold them rather than left to luck.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile

import pytest

from imgfan.local.lambda_runtime import LocalLambdaRuntime

# 32 bytes, as a SHA-256: 0xff bytes encode as "/", 0xfb 0xef 0xbe as "++++".
LEADING_SLASH = base64.b64encode(b"\xff\xff\xff" + bytes(29)).decode()
SLASH_INSIDE = base64.b64encode(bytes(6) + b"\xfb\xef\xbe\xff\xff\xff" + bytes(20)).decode()


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("python/probe_module.py", "VALUE = 1\n")
    return buffer.getvalue()


@pytest.mark.parametrize("digest", [LEADING_SLASH, SLASH_INSIDE])
def test_a_digest_with_slashes_unpacks_into_one_folder_inside_the_work_dir(tmp_path, digest):
    assert digest.startswith("/") or ("/" in digest and "+" in digest)
    runtime = LocalLambdaRuntime(tmp_path / "work", endpoint_url="http://127.0.0.1:9")
    folder = runtime.unpack("layers", digest, _zip())
    assert folder.parent == tmp_path / "work" / "layers"
    assert re.fullmatch(r"[0-9a-f]{32}", folder.name)
    assert (folder / "python" / "probe_module.py").read_text() == "VALUE = 1\n"


def test_the_folder_is_named_after_the_zip_s_hex_sha256_and_unpacked_once(tmp_path):
    data = _zip()
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()  # what moto stores
    runtime = LocalLambdaRuntime(tmp_path, endpoint_url="http://127.0.0.1:9")
    folder = runtime.unpack("code", digest, data)
    assert hashlib.sha256(data).hexdigest().startswith(folder.name)
    (folder / "marker").write_text("kept")
    assert runtime.unpack("code", digest, data) == folder
    assert (folder / "marker").exists(), "a second unpack of the same digest reuses the folder"
