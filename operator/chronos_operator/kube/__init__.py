"""The Kubernetes edge: Job manifests (pure builders) and the one writer that talks to the API."""
