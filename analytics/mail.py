"""Email delivery over SMTP for reports and alert notifications: one configuration, one sender.

Configured by ``CHANNELPERF_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_FROM``,
``_STARTTLS`` and ``_TIMEOUT``; without a host no email is sent.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from pydantic import AliasChoices
from pydantic import Field
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANNELPERF_SMTP_", extra="ignore")

    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = None
    sender: str = Field(
        default="channelperf@localhost", validation_alias=AliasChoices("CHANNELPERF_SMTP_FROM")
    )
    starttls: bool = False
    timeout: float = 30


def send_mail(message: EmailMessage, settings: SmtpSettings | None = None) -> None:
    """Deliver ``message``; raises if no SMTP host is configured or the server refuses it."""
    settings = settings or SmtpSettings()
    if not settings.host:
        raise RuntimeError("no SMTP server configured (CHANNELPERF_SMTP_HOST)")
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)
