# chronos-operator image: a virtualenv built in one stage, copied into a slim runtime stage that
# has no compiler, no pip cache and no build tools, and runs as a non-root numeric user.
#   docker build -t chronos-operator:0.1.0 .
# The entry point is the `chronos-operator` console script, configured only through
# CHRONOS_OPERATOR_* environment variables (see docs/install.md); the Helm chart names the same
# command, and tests/integration/test_chart.py runs it with the chart's settings.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
# pip compiles the .pyc files here: the runtime root filesystem is read-only.
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/chronos-operator
COPY pyproject.toml README.md ./
COPY operator/ operator/
RUN /opt/chronos-operator/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
 && /opt/chronos-operator/bin/pip install /tmp/wheels/*.whl \
 && /opt/chronos-operator/bin/pip uninstall -y pip setuptools wheel \
 && rm -rf /tmp/wheels

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="chronos-operator" \
      org.opencontainers.image.description="Airbnb Chronos' job scheduler as a Kubernetes operator" \
      org.opencontainers.image.licenses="Apache-2.0"
# No pip, no caches in the final image: the interpreter and the copied venv are all it runs.
RUN python -m pip uninstall -y pip setuptools wheel 2>/dev/null || true \
 && rm -rf /root/.cache /usr/local/lib/python3*/ensurepip
COPY --from=builder /opt/chronos-operator /opt/chronos-operator
ENV PATH=/opt/chronos-operator/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
# A numeric UID so that Kubernetes' runAsNonRoot can verify it; group 0 owns nothing writable,
# and OpenShift's arbitrary UIDs (group 0) only need to read the venv, which is world-readable.
USER 65532:0
EXPOSE 8080 8081
ENTRYPOINT ["chronos-operator"]
