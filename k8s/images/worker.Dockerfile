# syntax=docker/dockerfile:1
# The PyTorch worker (`python -m services.worker.server`), run as uid 1000.
# One Dockerfile, two bases, chosen by build-arg:
#   dev, CPU:   docker build -f k8s/images/worker.Dockerfile -t dsmath/worker:dev-cpu .
#   prod, GPU:  docker build -f k8s/images/worker.Dockerfile -t dsmath/worker:0.1.0-cuda \
#                 --build-arg BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 .
# TORCH_INDEX_URL (optional) points pip at another wheel index for torch, e.g. PyTorch's CPU-only
# wheels for a smaller dev image; by default torch comes from the default index.
ARG BASE_IMAGE=python:3.12-slim-bookworm

FROM ${BASE_IMAGE} AS build
ARG TORCH_VERSION=2.15.0
ARG TORCH_INDEX_URL=
# The CUDA bases have no Python: install the distribution's (the runtime stage does the same).
RUN if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3 python3-venv \
      && rm -rf /var/lib/apt/lists/*; \
    fi
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --no-cache-dir ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"} "torch==${TORCH_VERSION}"
# The direct requirements are pinned; requirements.lock is not used as constraints here, because its CUDA
# runtime wheels are those of PyPI's torch and a TORCH_INDEX_URL build may need others.
COPY requirements.txt /tmp/requirements.txt
COPY services /tmp/services
RUN pip install --no-cache-dir -r /tmp/requirements.txt \
 && if [ -f /tmp/services/worker/requirements.txt ]; then pip install --no-cache-dir -r /tmp/services/worker/requirements.txt; fi

FROM ${BASE_IMAGE} AS runtime
RUN if ! command -v python3 >/dev/null; then \
      apt-get update && apt-get install -y --no-install-recommends python3 \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && (getent passwd 1000 >/dev/null || useradd --uid 1000 --user-group --no-create-home --home-dir /tmp dsmath)
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY services ./services
COPY schemas ./schemas
# HOME=/tmp: torch, triton and Hugging Face caches go to the writable /tmp volume (read-only root FS).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
USER 1000:1000
ENTRYPOINT ["python", "-m", "services.worker.server"]
