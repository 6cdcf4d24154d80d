"""The web UI served by the operator at /ui/: jobs, a job's runs and fire times, the dependency
graph, upcoming runs and every action, rendered from the operator's view (docs/ui.md)."""

from .app import WebUi, add_ui_routes
from .settings import UiSettings, load_ui_settings

__all__ = ["UiSettings", "WebUi", "add_ui_routes", "load_ui_settings"]
