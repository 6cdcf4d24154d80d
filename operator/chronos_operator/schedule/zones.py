"""Time zones for ``scheduleTimeZone``: IANA names and Java's legacy three-letter ids."""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ScheduleError, quote

# Java's ZoneId.SHORT_IDS (TZDB 2005r and later): Chronos job files carry these ids.
# EST, MST and HST are fixed offsets in Java, without daylight saving.
JAVA_LEGACY_ZONES: dict[str, str] = {
    "ACT": "Australia/Darwin",
    "AET": "Australia/Sydney",
    "AGT": "America/Argentina/Buenos_Aires",
    "ART": "Africa/Cairo",
    "AST": "America/Anchorage",
    "BET": "America/Sao_Paulo",
    "BST": "Asia/Dhaka",  # Bangladesh, not British Summer Time
    "CAT": "Africa/Harare",
    "CNT": "America/St_Johns",
    "CST": "America/Chicago",
    "CTT": "Asia/Shanghai",
    "EAT": "Africa/Addis_Ababa",
    "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "MIT": "Pacific/Apia",
    "NET": "Asia/Yerevan",
    "NST": "Pacific/Auckland",
    "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix",
    "PRT": "America/Puerto_Rico",
    "PST": "America/Los_Angeles",
    "SST": "Pacific/Guadalcanal",
    "VST": "Asia/Ho_Chi_Minh",
}
JAVA_FIXED_ZONES: dict[str, timezone] = {
    "EST": timezone(timedelta(hours=-5), "EST"),
    "MST": timezone(timedelta(hours=-7), "MST"),
    "HST": timezone(timedelta(hours=-10), "HST"),
}

_IANA_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*", re.ASCII)
# Files in the zone database that are not zones, or depend on the machine (localtime).
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_NOT_ZONE_PREFIXES = ("posix/", "right/")


def resolve_zone(name: str) -> tzinfo:
    """The zone for an IANA name or a Java legacy id; ScheduleError for anything else (never UTC)."""
    if not isinstance(name, str):
        raise ScheduleError(
            f"scheduleTimeZone must be a time zone name, not {type(name).__name__}", "scheduleTimeZone"
        )
    if name in JAVA_FIXED_ZONES:
        return JAVA_FIXED_ZONES[name]
    key = JAVA_LEGACY_ZONES.get(name, name)
    if _IANA_NAME.fullmatch(key) and key not in _NOT_ZONES and not key.startswith(_NOT_ZONE_PREFIXES):
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # reported below, like any other unknown name
    raise ScheduleError(
        f"scheduleTimeZone {quote(name)} is not a known time zone: use an IANA name such as "
        "America/New_York or a Java id such as PST",
        "scheduleTimeZone",
    )
