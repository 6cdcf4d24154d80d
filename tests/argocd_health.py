"""Runs the Argo CD health check (examples/argocd/chronosjob-health.lua) on a ChronosJob object
with a real Lua interpreter, as Argo CD would: the object becomes the global `obj`.

The object is written as a Lua table constructor; the script is loaded as a chunk whose only
globals are `obj` and a few base functions, so a script that reaches for a standard library
Argo CD does not open (string, table, os) fails here too.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HEALTH_SCRIPT = REPO / "examples" / "argocd" / "chronosjob-health.lua"
LUA = "lua5.4"
# What the script may use. Argo CD opens more (it leaves out `string`, among others, unless
# resource.customizations.useOpenLibs is set); the script needs no more than this.
ALLOWED_GLOBALS = ("ipairs", "pairs", "tostring", "type", "next")


class LuaError(Exception):
    """The interpreter is missing, or the script failed or returned something Argo CD refuses."""


@dataclass(frozen=True)
class Health:
    status: str
    message: str


def lua_string(text: str) -> str:
    """A double-quoted Lua literal for `text`: printable ASCII as is, every other byte of its
    UTF-8 as a three-digit decimal escape (three digits, so a following digit is never read
    into the escape)."""
    out = ['"']
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    out.append('"')
    return "".join(out)


def to_lua(value: Any) -> str:
    """A Lua expression for a JSON value: objects and arrays become tables (arrays 1-based),
    null becomes nil (an absent key; a hole in an array), as Argo CD hands objects to Lua."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no JSON form")
        return repr(value)
    if isinstance(value, str):
        return lua_string(value)
    if isinstance(value, list | tuple):
        return "{" + ", ".join(to_lua(v) for v in value) + "}"
    if isinstance(value, dict):
        items = (f"[{lua_string(str(k))}] = {to_lua(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def _long_bracket(text: str) -> str:
    """`text` as a Lua long string whose closing bracket cannot occur inside it."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    # A newline right after the opening bracket is dropped by Lua; add one so the script's
    # first line survives unchanged.
    return f"[{eq}[\n{text}]{eq}]"


def program(obj: Any, script: str) -> str:
    """The Lua program that evaluates `script` on `obj` and prints status, NUL, message."""
    env = ", ".join(f"{name} = {name}" for name in ALLOWED_GLOBALS)
    return "\n".join(
        [
            f"local obj = {to_lua(obj)}",
            f"local script = {_long_bracket(script)}",
            f"local env = {{obj = obj, {env}}}",
            'local health, err = load(script, "=chronosjob-health.lua", "t", env)',
            "if health == nil then error(err) end",
            "local hs = health()",
            'if type(hs) ~= "table" then error("the script returned " .. type(hs) .. ", not a table") end',
            'if type(hs.status) ~= "string" then error("hs.status is " .. type(hs.status)) end',
            'if hs.message ~= nil and type(hs.message) ~= "string" then'
            ' error("hs.message is " .. type(hs.message)) end',
            'io.write(hs.status, "\\0", hs.message or "")',
        ]
    )


def run_lua(source: str, timeout: float = 10) -> str:
    """Runs a Lua program with lua5.4 and returns what it printed; a missing interpreter is an
    error, never a skip."""
    lua = shutil.which(LUA)
    if lua is None:
        raise LuaError(f"{LUA} is not on PATH (Debian/Ubuntu: apt-get install lua5.4; see .ci/run)")
    done = subprocess.run(
        [lua, "-"], input=source.encode(), capture_output=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise LuaError(done.stderr.decode(errors="replace").strip())
    return done.stdout.decode()


ARGO_STATUSES = ("Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown")


def assess(obj: Any, script: str | None = None) -> Health:
    """The health Argo CD would show for `obj` (a ChronosJob as JSON from the API server)."""
    text = HEALTH_SCRIPT.read_text() if script is None else script
    status, _, message = run_lua(program(obj, text)).partition("\0")
    if status not in ARGO_STATUSES:
        raise LuaError(f"{status!r} is not an Argo CD health status")
    return Health(status, message)
