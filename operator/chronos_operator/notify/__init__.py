"""Notifications to job owners and webhooks (contract §7): e-mail over SMTP and JSON POSTs,
delivered in the background so the scheduler never waits for them."""

from .notifier import KINDS, Kind, Notification, Notifier, compose_email, split_owner
from .settings import NotifySettings, load_notify_settings

__all__ = [
    "KINDS",
    "Kind",
    "Notification",
    "Notifier",
    "NotifySettings",
    "compose_email",
    "load_notify_settings",
    "split_owner",
]
