"""docker-compose's MLflow: never published beyond the host's loopback, and its server (the
command and auth configuration compose runs) refuses an unauthenticated write.

No Docker engine runs here, so the service's own command line is run on this machine with
the same configuration file, the paths inside the container mapped to a temporary folder.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from tests.browser import free_port

ROOT = Path(__file__).resolve().parents[2]
ADMIN, PASSWORD = "admin", "an-admin-password-for-the-test"


def _mlflow_service() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["mlflow"]


def test_mlflow_is_published_on_loopback_only_and_runs_the_basic_auth_app():
    service = _mlflow_service()
    for mapping in service.get("ports", []):
        assert str(mapping).startswith("127.0.0.1:"), mapping
    assert "--app-name basic-auth" in " ".join(service["command"].split())
    config = next(v for v in service["volumes"] if "auth.ini" in v)
    assert (ROOT / config.split(":")[0].removeprefix("./")).exists()


@pytest.fixture
def compose_mlflow(tmp_path):
    """The compose service's MLflow command, run here against its own auth.ini."""
    service = _mlflow_service()
    ini_source, ini_target = service["volumes"][1].split(":")[:2]
    config = (ROOT / ini_source.removeprefix("./")).read_text()
    config = config.replace("/mlflow/", f"{tmp_path}/")
    (tmp_path / "auth.ini").write_text(config)
    port = free_port()
    arguments = shlex.split(
        " ".join(service["command"].split()).replace("/mlflow/", f"{tmp_path}/")
    )
    arguments[arguments.index("--port") + 1] = str(port)
    arguments[arguments.index("--host") + 1] = "127.0.0.1"
    env = {
        **os.environ,
        "MLFLOW_AUTH_CONFIG_PATH": str(tmp_path / "auth.ini"),
        "MLFLOW_AUTH_ADMIN_USERNAME": ADMIN,
        "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORD,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "a-secret-key-for-the-test",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    assert service["environment"]["MLFLOW_AUTH_CONFIG_PATH"] == ini_target
    mlflow = str(Path(sys.executable).with_name("mlflow"))
    process = subprocess.Popen(
        [mlflow, *arguments[1:]],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, "mlflow server exited"
            try:
                requests.get(f"{base}/health", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_compose_mlflow_refuses_an_unauthenticated_write(compose_mlflow):
    create = f"{compose_mlflow}/api/2.0/mlflow/experiments/create"
    anonymous = requests.post(create, json={"name": "intruder"}, timeout=10)
    assert anonymous.status_code == 401
    wrong = requests.post(create, json={"name": "intruder"}, auth=(ADMIN, "guess"), timeout=10)
    assert wrong.status_code == 401
    search = f"{compose_mlflow}/api/2.0/mlflow/experiments/search"
    listed = requests.post(search, json={"max_results": 100}, auth=(ADMIN, PASSWORD), timeout=10)
    assert "intruder" not in listed.text
    allowed = requests.post(create, json={"name": "champion"}, auth=(ADMIN, PASSWORD), timeout=10)
    assert allowed.status_code == 200
