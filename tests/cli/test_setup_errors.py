"""AWS set-up mistakes end in one line that says what to change, never in a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from imgfan.cli import EXIT_CLOSED_PIPE, main

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_an_endpoint_without_a_scheme_says_which_url_to_use(capsys):
    code, err = run(capsys, "executions", "list", "--endpoint-url", "127.0.0.1:4566")
    assert code == 1
    assert err == ("imgfan executions: endpoint '127.0.0.1:4566' (--endpoint-url or AWS_ENDPOINT_URL) has no "
                   "scheme: use http://127.0.0.1:4566\n")


@pytest.mark.cloud
def test_missing_credentials_say_what_to_export_for_the_embedded_cloud(moto_endpoint, monkeypatch, tmp_path, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, err = run(capsys, "executions", "list", "--endpoint-url", moto_endpoint)
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"no AWS credentials for {moto_endpoint}" in err
    assert "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test" in err


@pytest.mark.cloud
def test_a_region_the_embedded_cloud_does_not_run_in_names_the_one_it_does(cli, cloud, console):
    code, _, err = cli("executions", "list", "--region", "eu-west-1")
    assert code == 1
    assert err.count("\n") == 1
    assert err.rstrip().endswith(
        f"runs in region {cloud.region}: export AWS_DEFAULT_REGION={cloud.region} (or pass --region {cloud.region})")


def test_a_closed_pipe_ends_quietly():
    imgfan = Path(sys.executable).with_name("imgfan")
    process = subprocess.Popen([str(imgfan), "presets", "schema"], cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written, as with `| head -0`
    err = process.stderr.read().decode()
    assert process.wait() == EXIT_CLOSED_PIPE
    assert err == ""


def test_version_and_a_help_text_written_for_users(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"imgfan {version('imgfan')}\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert text.splitlines()[2].startswith("Turn every image uploaded to an S3 bucket")
    assert "imgfan demo" in text and "``" not in text


def test_version_loads_no_command_module():
    script = (
        "import sys; from imgfan.cli import main\n"
        "try: main(['--version'])\nexcept SystemExit: pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('imgfan.commands.', 'boto3'))))"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown[0].startswith("imgfan ")
    assert shown[1] == "[]"
