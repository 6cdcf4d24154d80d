"""Settings of the web UI, read once from `CHRONOS_OPERATOR_UI*` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chronos_operator.settings import PREFIX, SettingsError, read_flag


@dataclass(frozen=True)
class UiSettings:
    enabled: bool = True  # CHRONOS_OPERATOR_UI: false serves no /ui/ at all
    read_only: bool = False  # CHRONOS_OPERATOR_UI_READ_ONLY: pages only, every action refused
    page_size: int = 200  # rows of the jobs table per page
    secure_cookies: bool = False  # CHRONOS_OPERATOR_UI_SECURE_COOKIES: behind HTTPS, mark cookies Secure
    stream_interval: float = 1.0  # seconds between two looks at the view for live updates


def load_ui_settings(env: Mapping[str, str] | None = None) -> UiSettings:
    e = os.environ if env is None else env
    raw = e.get(PREFIX + "UI_PAGE_SIZE") or "200"
    try:
        page_size = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}UI_PAGE_SIZE: expected a whole number, got {raw!r}") from None
    if not 1 <= page_size <= 5000:
        raise SettingsError(f"{PREFIX}UI_PAGE_SIZE: expected 1 to 5000, got {page_size}")
    return UiSettings(
        enabled=read_flag(e, "UI", True),
        read_only=read_flag(e, "UI_READ_ONLY", False),
        page_size=page_size,
        secure_cookies=read_flag(e, "UI_SECURE_COOKIES", False),
    )
