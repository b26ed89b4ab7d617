"""The README's walk through the API, run as written: its shell block, against a server with the demo."""

import json
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import Server, empty_database, run_async, settings_for_tests
from wijkregistratie.core.migrate import upgrade
from wijkregistratie.demo.seed import seed_demo

ROOT = Path(__file__).resolve().parent.parent
BASH = shutil.which("bash") or "/bin/bash"


def _walk() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A walk through the API", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_the_walk_through_the_api_works_as_written(tmp_path: Path) -> None:
    script = _walk()
    assert "SECRET=..." in script and "API=http://127.0.0.1:8000/v1" in script
    with empty_database("sqlite", tmp_path) as database_url:
        upgrade(database_url)
        settings = settings_for_tests(database_url)
        credentials = run_async(database_url, lambda s: seed_demo(s, settings))
        with Server(settings) as server:
            # Only what a reader fills in themselves changes: the secret printed, and where the API runs.
            script = script.replace("SECRET=...", f"SECRET={credentials['partner']['client_secret']}", 1)
            script = script.replace("API=http://127.0.0.1:8000/v1", f"API={server.url}/v1", 1)
            done = subprocess.run(
                [BASH, "-euo", "pipefail", "-c", script],
                cwd=tmp_path,
                env=os.environ | {"LC_ALL": "C.UTF-8"},
                capture_output=True,
                text=True,
                timeout=120,
            )
    assert done.returncode == 0, done.stderr
    signal = json.loads((tmp_path / "signal.json").read_text())
    case = json.loads((tmp_path / "case.json").read_text())
    assert signal["id"] and signal["alreadyKnown"]["known"] is False
    assert "HTTP/1.1 200 OK" in done.stdout, done.stdout[:2000]  # the whole record, read by id
    assert case["id"] in done.stdout and '"items"' in done.stdout
