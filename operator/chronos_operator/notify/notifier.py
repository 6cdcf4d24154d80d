"""E-mail and webhook notifications of final failures, exhaustion, deletion and disabling
(contract §7; chronos.md §3.6).

`Notifier.notify` only schedules deliveries on the running event loop: the scheduler loop that
calls it must never wait for a mail server or a webhook. Every delivery logs its own failure
and never raises.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

import aiohttp

from chronos_operator.schedule import format_instant

from .settings import NotifySettings

log = logging.getLogger(__name__)

Kind = Literal["failed", "exhausted", "deleted", "disabled"]
KINDS: tuple[str, ...] = get_args(Kind)
RETRY_DELAY = 0.5  # seconds before the first webhook retry; doubles for each further one
_OWNER_SEPARATOR = re.compile(r"\s*,\s*")  # Chronos' own split of `owner`


def split_owner(owner: str) -> tuple[str, ...]:
    """Chronos' comma-separated `owner` as addresses, empties dropped."""
    return tuple(address for address in _OWNER_SEPARATOR.split(owner.strip()) if address)


@dataclass(frozen=True)
class Notification:
    kind: Kind
    namespace: str
    name: str  # metadata.name
    chronos_name: str  # spec.name, what the owner knows the job by
    owner: str  # Chronos' comma-separated e-mail addresses, as written in the spec
    message: str
    time: datetime  # time-zone aware

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"notification kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.time.tzinfo is None or self.time.utcoffset() is None:
            raise ValueError(f"notification time {self.time!r} has no time zone")

    @property
    def recipients(self) -> tuple[str, ...]:
        return split_owner(self.owner)

    @property
    def subject(self) -> str:
        return f"[chronos] {self.chronos_name} {self.kind}"

    def to_json(self) -> dict[str, Any]:
        """The webhook body: camelCase keys, `owner` as a list, `time` in RFC 3339 UTC."""
        return {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "chronosName": self.chronos_name,
            "owner": list(self.recipients),
            "subject": self.subject,  # Chronos' HTTP notifications carried one too
            "message": self.message,
            "time": format_instant(self.time),
        }


def compose_email(n: Notification, sender: str, recipient: str) -> EmailMessage:
    """One plain-text message to one owner address."""
    email = EmailMessage()
    email["Subject"] = n.subject
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = format_datetime(n.time)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    email.set_content(
        f"ChronosJob {n.chronos_name} {n.kind}.\n\n"
        f"Namespace: {n.namespace}\n"
        f"Name:      {n.name}\n"
        f"Time:      {format_instant(n.time)}\n\n"
        f"{n.message}\n"
    )
    return email


def send_email(settings: NotifySettings, email: EmailMessage, recipient: str) -> None:
    """Blocking SMTP delivery; run it in a thread. Every socket operation has the timeout."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(email, from_addr=settings.smtp_from, to_addrs=[recipient])


def _origin(url: str) -> str:
    # Webhook URLs often carry a secret in the user info, path or query: log the host only.
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _worth_retrying(status: int) -> bool:
    # Any other client error will get the same answer next time.
    return status >= 500 or status in (408, 429)


class Notifier:
    """Delivers notifications in background tasks on the running loop.

    `sent` and `failed` count finished deliveries per channel (`email`, `webhook`); one
    delivery is one e-mail to one address, or one webhook URL (with its retries)."""

    def __init__(self, settings: NotifySettings, *, retry_delay: float = RETRY_DELAY) -> None:
        self.settings = settings
        self.retry_delay = retry_delay
        self.sent: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    def notify(self, n: Notification) -> None:
        """Schedules the deliveries for `n` and returns at once; never raises.

        Must be called from a coroutine or callback on the running loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.error("notification %s for %s/%s dropped: no running event loop", n.kind, n.namespace, n.name)
            return
        try:
            if self.settings.email_enabled:
                for recipient in n.recipients:
                    self._spawn(loop, self._deliver_email(n, recipient))
            for url in self.settings.webhook_urls:
                self._spawn(loop, self._deliver_webhook(n, url))
        except Exception:  # a notification must never take the scheduler down
            log.exception("could not schedule notification %s for %s/%s", n.kind, n.namespace, n.name)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float | None = None) -> bool:
        """Waits until no delivery is in flight, including any started meanwhile. True when all
        finished; after `timeout` seconds the rest are cancelled (and logged) and it returns False."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._tasks:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return await self._abandon()
            await asyncio.wait(set(self._tasks), timeout=remaining)
        return True

    async def _abandon(self) -> bool:
        pending = set(self._tasks)
        log.warning("abandoning %d notification deliveries still in flight", len(pending))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return False

    def _spawn(self, loop: asyncio.AbstractEventLoop, delivery: Coroutine[Any, Any, None]) -> None:
        task = loop.create_task(delivery)
        # The loop keeps only weak references to tasks: hold them until they finish.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_email(self, n: Notification, recipient: str) -> None:
        try:
            email = compose_email(n, self.settings.smtp_from, recipient)
            await asyncio.to_thread(send_email, self.settings, email, recipient)
        except Exception as e:  # every SMTP, socket or TLS error ends here, logged
            self.failed["email"] += 1
            log.warning(
                "could not e-mail %s about %s %s/%s via %s:%d: %s",
                recipient,
                n.kind,
                n.namespace,
                n.name,
                self.settings.smtp_host,
                self.settings.smtp_port,
                e,
            )
            return
        self.sent["email"] += 1
        log.info("e-mailed %s: %s", recipient, n.subject)

    async def _deliver_webhook(self, n: Notification, url: str) -> None:
        tried, problem = 0, ""
        try:
            body = n.to_json()
            timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout)  # per attempt
            async with aiohttp.ClientSession(timeout=timeout) as session:
                while True:
                    problem, retry = await self._post(session, url, body)
                    tried += 1
                    if not problem:
                        self.sent["webhook"] += 1
                        log.info("posted %s to webhook %s", n.subject, _origin(url))
                        return
                    if not retry or tried > self.settings.webhook_retries:
                        break
                    await asyncio.sleep(self.retry_delay * 2 ** (tried - 1))
        except Exception as e:  # a malformed URL or body: logged like any failed delivery
            problem = f"{type(e).__name__}: {e}"
        self.failed["webhook"] += 1
        log.warning(
            "gave up posting %s %s/%s to webhook %s after %d attempt(s): %s",
            n.kind,
            n.namespace,
            n.name,
            _origin(url),
            tried,
            problem,
        )

    @staticmethod
    async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[str, bool]:
        """One attempt: ("", _) on success, else (what went wrong, whether to retry)."""
        try:
            async with session.post(url, json=body) as response:
                if response.status < 300:
                    return "", False
                return f"HTTP {response.status}", _worth_retrying(response.status)
        except TimeoutError:
            return "timed out", True
        except aiohttp.ClientError as e:
            return f"{type(e).__name__}: {e}", True
