"""Serving the app under gunicorn from the CLI (the same server production runs)."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication


class GunicornServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from dashapp.app import wsgi

        return wsgi()


def serve(host: str, port: int, workers: int, threads: int) -> None:
    GunicornServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "timeout": 120,
            "accesslog": "-",
            "preload_app": False,
        }
    ).run()
