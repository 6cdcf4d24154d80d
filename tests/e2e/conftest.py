"""End-to-end tests use the same control-plane fixtures as the integration tests."""

from tests.integration.conftest import cluster, crd, namespace, operator, operator_factory  # noqa: F401
