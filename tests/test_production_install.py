"""The production install: the package without its development extras, into a fresh virtual environment,
exactly as the Dockerfile installs it, serves the API and runs the worker."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.conftest import free_port

pytestmark = pytest.mark.install

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The virtual environment: `pip install -c requirements.lock .` from what the Dockerfile copies."""
    build = tmp_path_factory.mktemp("build")
    for name in ("pyproject.toml", "requirements.lock", "README.md"):
        shutil.copy(REPOSITORY / name, build / name)
    shutil.copytree(REPOSITORY / "src", build / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = [
        str(venv / "bin" / "pip"),
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        "requirements.lock",
        ".",
    ]
    subprocess.run(install, cwd=build, check=True, stdin=subprocess.DEVNULL, timeout=600)
    return venv


def _environment(tmp_path: Path) -> dict[str, str]:
    """A production deployment's environment: its own keys, the migrations beside the package."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'production.db'}",
        "WR_ENVIRONMENT": "production",
        "WR_MIGRATIONS_DIR": str(REPOSITORY / "migrations"),
        "WR_TOKEN_SIGNING_KEY": Fernet.generate_key().decode(),
        "WR_BSN_HASH_KEY": Fernet.generate_key().decode(),
        "WR_BSN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "WR_WEBHOOK_SECRET_KEYS": Fernet.generate_key().decode(),
    }


def _command(venv: Path, env: dict[str, str], *arguments: str) -> str:
    executable = str(venv / "bin" / "wijkregistratie")
    done = subprocess.run([executable, *arguments], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_development_extras_are_not_installed(installed: Path) -> None:
    python = str(installed / "bin" / "python")
    for module in ("pytest", "schemathesis", "hypothesis", "ruff"):
        found = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        assert found.returncode != 0, f"{module} is in the production install"


def test_the_production_install_serves_the_api_and_runs_the_worker(installed: Path, tmp_path: Path) -> None:
    env = _environment(tmp_path)
    _command(installed, env, "migrate")
    organisation = _command(
        installed, env, "create-organisation", "--name", "Schuldhulp Zuid", "--kind", "debt_assistance"
    )
    created = _command(installed, env, "create-client", "--organisation-id", organisation.strip(), "--name", "CRM")
    credentials = dict(line.split("=", 1) for line in created.splitlines() if "=" in line)

    port, metrics_port = free_port(), free_port()
    executable = str(installed / "bin" / "wijkregistratie")
    api = subprocess.Popen([executable, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    worker = subprocess.Popen(
        [executable, "worker"], env=env | {"WR_WORKER_METRICS_PORT": str(metrics_port)}, stderr=subprocess.PIPE
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            _wait_for(lambda: http.get("/health/ready").status_code == 200)
            token = http.post(
                "/v1/oauth/token",
                data={"grant_type": "client_credentials"} | credentials,
            ).json()["access_token"]
            cases = http.get("/v1/cases", headers={"Authorization": f"Bearer {token}", "Purpose-Of-Use": "care"})
            assert cases.status_code == 200 and cases.json()["items"] == []
            assert http.get("/docs").status_code == 200
            assert http.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
            assert http.get("/openapi.json").json()["info"]["title"] == "wijkregistratie"
        metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        _wait_for(lambda: 'job="privacy.retention",outcome="succeeded"' in _get(metrics_url))
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
        stderr = worker.stderr.read().decode() if worker.stderr else ""
        assert "worker stopped" in stderr and "failed" not in stderr
    finally:
        for process in (api, worker):
            if process.poll() is None:
                process.kill()
                process.wait()


def _get(url: str) -> str:
    try:
        return httpx.get(url, timeout=2).text
    except httpx.HTTPError:
        return ""


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("not ready in time")


def test_the_configuration_the_dockerfile_names_is_what_the_install_reads() -> None:
    dockerfile = (REPOSITORY / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install -c requirements.lock ." in dockerfile and "[dev]" not in dockerfile
    assert "WR_MIGRATIONS_DIR=/app/migrations" in dockerfile and "COPY migrations ./migrations" in dockerfile
