"""Connection to the API server: in-cluster credentials, else the kubeconfig."""

from __future__ import annotations

import warnings

import kubernetes
import urllib3


def load_api_client(pool_size: int = 32) -> kubernetes.client.ApiClient:
    """An ApiClient with a connection pool large enough for the writer's concurrent calls."""
    config = kubernetes.client.Configuration()
    try:
        kubernetes.config.load_incluster_config(client_configuration=config)  # type: ignore[no-untyped-call]
    except kubernetes.config.ConfigException:
        kubernetes.config.load_kube_config(client_configuration=config)  # type: ignore[no-untyped-call]
    config.connection_pool_maxsize = pool_size
    if not config.verify_ssl:
        # The kubeconfig asked for no verification (the local test cluster); one warning per call
        # would drown the log.
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    return kubernetes.client.ApiClient(config)
