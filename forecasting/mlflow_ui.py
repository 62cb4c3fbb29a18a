"""The MLflow UI over the tracking store, light: one worker, no job runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from forecasting import registry


def server_command(host: str, port: int, uri: str) -> list[str]:
    """``mlflow server`` over the store, one worker; artifacts as the store's experiments say."""
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        uri,
    ]
    artifacts = registry.artifact_location(uri)
    if artifacts:
        command += ["--default-artifact-root", artifacts]
    return command


def serve_ui(host: str, port: int) -> int:
    """Run the UI until it stops; its exit code (OSError when it cannot start)."""
    uri = registry.tracking_uri()
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS": "false",
    }
    return subprocess.call(server_command(host, port, uri), env=env)
