"""Runtime settings, read from environment variables only.

The defaults are the embedded set-up (`make demo`): a SQLite file under
``var/``, no Redis (jobs run in-process) and a local MLflow store in
``mlruns/``. Production sets the ``CHANNELPERF_*`` variables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import AliasChoices
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from db.currencies import ISO_4217_CODES

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _embedded_secret_key() -> str:
    """A random key kept under var/ so sessions survive a restart of the embedded app."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # Written aside, then linked in place only if no other process did it first:
        # processes starting together all end up reading one whole key.
        draft = path.with_name(f"secret_key.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(48))
        draft.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANNELPERF_", extra="ignore")

    database_url: str = f"sqlite:///{VAR_DIR / 'channelperf.db'}"
    redis_url: str | None = None
    secret_key: str = Field(default_factory=_embedded_secret_key)
    mlflow_tracking_uri: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'mlruns' / 'mlflow.db'}",
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "CHANNELPERF_MLFLOW_TRACKING_URI"),
    )
    reporting_tz: str = "UTC"
    base_currency: str = "USD"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    max_range_days: int = Field(default=3 * 366 + 31, gt=0)
    login_rate_limit: str = "5 per minute"
    secure_cookies: bool = False
    # A signed-in session ends after this long without a request, and in any case after
    # session_lifetime_hours from sign-in.
    session_idle_minutes: int = Field(default=30, gt=0)
    session_lifetime_hours: int = Field(default=12, gt=0)
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto / -Host to trust.
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # Processes that decode and map pages for one sync (0: a thread of the syncing process).
    ingest_workers: int = Field(default=0, ge=0, le=64)
    # A connector's consecutive pages load together up to this many records
    # (ingestion.sync.coalesce).
    sync_join_records: int = Field(default=5_000, ge=1, le=100_000)

    @field_validator("secret_key")
    @classmethod
    def _secret_set(cls, value: str) -> str:
        if len(value) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            # Not echoed: a URL carries its password.
            raise ValueError("not a URL like postgresql+psycopg://user@host/name") from None
        try:
            url.get_dialect()
        except ArgumentError:
            raise ValueError(f"unknown database kind {url.drivername!r}") from None
        return value

    @field_validator("reporting_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("base_currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"base currency must be an ISO 4217 code, got {value!r}")
        if value.upper() not in ISO_4217_CODES:
            raise ValueError(f"base currency {value!r} is not an active ISO 4217 code")
        return value.upper()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.reporting_tz)

    def last_day_over(self, now: dt.datetime | None = None) -> dt.date:
        """Yesterday in the reporting time zone: the last day that is over (today's orders so
        far are not a day's worth, for a band, a check or a model)."""
        today = (now or dt.datetime.now(dt.UTC)).astimezone(self.tz).date()
        return today - dt.timedelta(days=1)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


class ConfigurationError(ValueError):
    """The environment's settings are not valid; the message says which and why, in one line."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{_variable(problem['loc'])}: {problem['msg'].removeprefix('Value error, ')}"
            for problem in error.errors()
        )
        raise ConfigurationError(f"configuration error: {problems}") from None


def _variable(loc: tuple) -> str:
    name = str(loc[0]) if loc else "setting"
    if name.upper().startswith(("MLFLOW_", "CHANNELPERF_")):
        return name.upper()
    return f"CHANNELPERF_{name.upper()}"
