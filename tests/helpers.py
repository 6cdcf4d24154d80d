"""Helpers shared by the test suites."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 30, interval: float = 0.2, message: str = "condition"
) -> T:
    """Polls `predicate` until it returns something truthy and returns that; fails the test with
    `message` (and the last value or error seen) after `timeout` seconds. Never a bare sleep."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except AssertionError as e:  # let predicates assert, and report the last failure
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}; last seen: {last!r}")
        time.sleep(interval)
