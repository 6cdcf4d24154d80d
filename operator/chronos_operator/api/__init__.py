"""Chronos' REST API in the operator process (contract §8)."""

from .app import build_app, start_api
from .auth import make_authenticator
from .settings import ApiSettings, load_api_settings

__all__ = ["ApiSettings", "build_app", "load_api_settings", "make_authenticator", "start_api"]
