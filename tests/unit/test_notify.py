"""Notifications (contract §7): settings, e-mail through a real SMTP server, webhooks with
retries, and a notify() that never blocks or raises. Loopback only."""

from __future__ import annotations

import asyncio
import email
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from chronos_operator.notify import (
    Notification,
    Notifier,
    NotifySettings,
    compose_email,
    load_notify_settings,
    split_owner,
)
from chronos_operator.settings import SettingsError

LOOPBACK = "127.0.0.1"
WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def failure(owner: str = "a@example.com, b@example.com") -> Notification:
    return Notification(
        kind="failed",
        namespace="team-a",
        name="nightly-load",
        chronos_name="nightly_load",
        owner=owner,
        message="exit code 3 after 2 retries",
        time=WHEN,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port: int = s.getsockname()[1]
        return port


# Settings


def test_defaults() -> None:
    s = load_notify_settings({})
    assert s == NotifySettings()
    assert (s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_starttls) == (
        "",
        25,
        "chronos-operator@localhost",
        False,
    )
    assert (s.webhook_urls, s.webhook_timeout, s.webhook_retries) == ((), 5.0, 3)
    assert not s.email_enabled


def test_all_settings() -> None:
    s = load_notify_settings(
        {
            "CHRONOS_OPERATOR_SMTP_HOST": "mail.internal",
            "CHRONOS_OPERATOR_SMTP_PORT": "587",
            "CHRONOS_OPERATOR_SMTP_FROM": "cron@example.com",
            "CHRONOS_OPERATOR_SMTP_USER": "cron",
            "CHRONOS_OPERATOR_SMTP_PASSWORD": "s3cret",
            "CHRONOS_OPERATOR_SMTP_STARTTLS": "true",
            "CHRONOS_OPERATOR_WEBHOOK_URLS": " http://a.local/hook , https://b.local/x?t=1,",
            "CHRONOS_OPERATOR_WEBHOOK_TIMEOUT": "2.5",
            "CHRONOS_OPERATOR_WEBHOOK_RETRIES": "0",
        }
    )
    assert s.email_enabled
    assert (s.smtp_host, s.smtp_port, s.smtp_from) == ("mail.internal", 587, "cron@example.com")
    assert (s.smtp_user, s.smtp_password, s.smtp_starttls) == ("cron", "s3cret", True)
    assert s.webhook_urls == ("http://a.local/hook", "https://b.local/x?t=1")
    assert (s.webhook_timeout, s.webhook_retries) == (2.5, 0)
    assert "s3cret" not in repr(s)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SMTP_PORT", "smtp"),
        ("SMTP_PORT", "70000"),
        ("SMTP_STARTTLS", "maybe"),
        ("WEBHOOK_URLS", "http://ok.local,ftp://no.local"),
        ("WEBHOOK_URLS", "not a url"),
        ("WEBHOOK_TIMEOUT", "0"),
        ("WEBHOOK_TIMEOUT", "soon"),
        ("WEBHOOK_RETRIES", "-1"),
        ("WEBHOOK_RETRIES", "1.5"),
    ],
)
def test_bad_values_name_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"CHRONOS_OPERATOR_{variable}") as caught:
        load_notify_settings({f"CHRONOS_OPERATOR_{variable}": value})
    assert isinstance(caught.value, SettingsError)


# The notification itself


def test_owner_split_like_chronos() -> None:
    assert split_owner("a@example.com, b@example.com ,c@example.com") == (
        "a@example.com",
        "b@example.com",
        "c@example.com",
    )
    assert split_owner(" , a@example.com,, ") == ("a@example.com",)
    assert split_owner("") == ()


def test_to_json() -> None:
    n = failure()
    n = Notification(**{**n.__dict__, "time": WHEN.astimezone(timezone(timedelta(hours=2)))})
    assert n.to_json() == {
        "kind": "failed",
        "namespace": "team-a",
        "name": "nightly-load",
        "chronosName": "nightly_load",
        "owner": ["a@example.com", "b@example.com"],
        "subject": "[chronos] nightly_load failed",
        "message": "exit code 3 after 2 retries",
        "time": "2024-05-01T12:30:00.000Z",
    }


def test_bad_notifications_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Notification("failed", "ns", "n", "n", "", "", datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="kind"):
        Notification("exploded", "ns", "n", "n", "", "", WHEN)  # type: ignore[arg-type]


def test_email_body() -> None:
    message = compose_email(failure(), "cron@example.com", "a@example.com")
    assert message["Subject"] == "[chronos] nightly_load failed"
    assert (message["From"], message["To"]) == ("cron@example.com", "a@example.com")
    body = message.get_content()
    for text in ("team-a", "nightly-load", "exit code 3 after 2 retries", "2024-05-01T12:30:00.000Z"):
        assert text in body


# E-mail through a real SMTP server


class Inbox:
    """aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[tuple[list[str], Message]]:
        return [(e.rcpt_tos, email.message_from_bytes(e.original_content or b"")) for e in self.envelopes]


def accept_cron_user(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"cron", b"pw")
    return AuthResult(success=ok)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname=LOOPBACK, port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_one_email_per_owner(inbox: tuple[Inbox, int]) -> None:
    handler, port = inbox
    notifier = Notifier(NotifySettings(smtp_host=LOOPBACK, smtp_port=port, smtp_from="cron@example.com"))
    notifier.notify(failure("a@example.com, b@example.com"))
    assert await notifier.drain(10)
    received = sorted((rcpt, m["Subject"], m["From"]) for rcpt, m in handler.messages())
    assert received == [
        (["a@example.com"], "[chronos] nightly_load failed", "cron@example.com"),
        (["b@example.com"], "[chronos] nightly_load failed", "cron@example.com"),
    ]
    assert [e.mail_from for e in handler.envelopes] == ["cron@example.com"] * 2
    assert (notifier.sent["email"], notifier.failed["email"]) == (2, 0)


async def test_email_with_login() -> None:
    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler, hostname=LOOPBACK, port=port, authenticator=accept_cron_user, auth_require_tls=False
    )
    controller.start()
    try:
        settings = NotifySettings(smtp_host=LOOPBACK, smtp_port=port, smtp_user="cron", smtp_password="pw")
        notifier = Notifier(settings)
        notifier.notify(failure("a@example.com"))
        assert await notifier.drain(10)
        assert [rcpt for rcpt, _ in handler.messages()] == [["a@example.com"]]
    finally:
        controller.stop()


async def test_no_smtp_host_no_email(inbox: tuple[Inbox, int]) -> None:
    handler, _ = inbox
    notifier = Notifier(NotifySettings())
    notifier.notify(failure())
    assert notifier.in_flight == 0
    assert await notifier.drain(1)
    assert handler.envelopes == []


async def test_unreachable_smtp_server_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier(NotifySettings(smtp_host=LOOPBACK, smtp_port=free_port(), smtp_timeout=2))
    with caplog.at_level(logging.WARNING, logger="chronos_operator.notify"):
        notifier.notify(failure("a@example.com"))
        assert await notifier.drain(10)
    assert (notifier.sent["email"], notifier.failed["email"]) == (0, 1)
    assert any("could not e-mail a@example.com" in r.getMessage() for r in caplog.records)


# Webhooks


class Hook:
    """aiohttp receiver: answers with `errors` in turn, then accepts; or hangs until released."""

    def __init__(self, errors: tuple[int, ...] = (), hang: bool = False) -> None:
        self.errors = errors
        self.hang = hang
        self.calls = 0
        self.accepted: list[dict[str, Any]] = []
        self.released = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.hang:
            await self.released.wait()
            return web.Response(status=204)
        if self.calls <= len(self.errors):
            return web.Response(status=self.errors[self.calls - 1], text="no")
        self.accepted.append(await request.json())
        return web.Response(status=204)


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    servers: list[tuple[TestServer, Hook]] = []

    async def start(hook: Hook) -> str:
        app = web.Application()
        app.router.add_post("/hook/{secret}", hook.handle)
        server = TestServer(app, host=LOOPBACK)
        await server.start_server()
        servers.append((server, hook))
        return str(server.make_url("/hook/s3cret"))

    yield start
    for server, hook in servers:
        hook.released.set()
        await server.close()


async def test_webhook_retried_after_500(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    hook = Hook(errors=(500,))
    url = await serve(hook)
    notifier = Notifier(NotifySettings(webhook_urls=(url,), webhook_timeout=2, webhook_retries=3))
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="chronos_operator.notify"):
        notifier.notify(failure())
        assert await notifier.drain(10)
    assert time.monotonic() - started >= 0.5  # the first backoff
    assert hook.calls == 2
    assert hook.accepted == [failure().to_json()]
    assert (notifier.sent["webhook"], notifier.failed["webhook"]) == (1, 0)
    assert "s3cret" not in caplog.text  # secrets in webhook paths stay out of the logs


async def test_webhook_that_never_answers(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    hook = Hook(hang=True)
    url = await serve(hook)
    notifier = Notifier(NotifySettings(webhook_urls=(url,), webhook_timeout=0.2, webhook_retries=2))
    with caplog.at_level(logging.WARNING, logger="chronos_operator.notify"):
        started = time.perf_counter()
        notifier.notify(failure())
        assert time.perf_counter() - started < 0.05
        assert notifier.in_flight == 1
        assert await notifier.drain(10)
    assert hook.calls == 3  # the first attempt and two retries
    assert (notifier.sent["webhook"], notifier.failed["webhook"]) == (0, 1)
    assert any("gave up" in r.getMessage() and "3 attempt(s)" in r.getMessage() for r in caplog.records)


async def test_client_error_is_not_retried(serve: Any) -> None:
    hook = Hook(errors=(404, 404))
    url = await serve(hook)
    notifier = Notifier(NotifySettings(webhook_urls=(url,), webhook_retries=3))
    notifier.notify(failure())
    assert await notifier.drain(10)
    assert hook.calls == 1
    assert notifier.failed["webhook"] == 1


async def test_every_channel_at_once(inbox: tuple[Inbox, int], serve: Any) -> None:
    handler, port = inbox
    hooks = [Hook(), Hook()]
    urls = tuple([await serve(h) for h in hooks])
    notifier = Notifier(NotifySettings(smtp_host=LOOPBACK, smtp_port=port, webhook_urls=urls))
    notifier.notify(failure())
    assert await notifier.drain(10)
    assert len(handler.envelopes) == 2
    assert [len(h.accepted) for h in hooks] == [1, 1]


async def test_drain_gives_up_after_timeout(serve: Any) -> None:
    url = await serve(Hook(hang=True))
    notifier = Notifier(NotifySettings(webhook_urls=(url,), webhook_timeout=30))
    notifier.notify(failure())
    assert not await notifier.drain(0.2)
    assert notifier.in_flight == 0


def test_notify_outside_a_loop_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    notifier = Notifier(NotifySettings(webhook_urls=("http://127.0.0.1:9/hook",)))
    notifier.notify(failure())
    assert "no running event loop" in caplog.text
