# One image for every Procfile role: `docker run IMAGE web|worker|release|nightly-eval`
# (or any command). Build it with scripts/build-image.sh, which makes the base image
# locally (scripts/build-base-image.sh: Debian bookworm minbase + python3 3.11) and
# passes this machine's pip configuration in as build arguments. No secrets are baked in:
# OPENAI_API_KEY, DATABASE_URL and REDIS_URL come from the environment at run time.
ARG BASE_IMAGE=course-studio/base:bookworm

# ---- build: resolve and install the pinned requirements into a virtualenv
FROM ${BASE_IMAGE} AS build
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_DEFAULT_TIMEOUT=120
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt
# The local base has python3 already; on Render BASE_IMAGE=debian:bookworm-slim gets it here.
RUN command -v python3 >/dev/null && python3 -c "import venv, ensurepip" 2>/dev/null \
 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
     python3 python3-venv ca-certificates && rm -rf /var/lib/apt/lists/*)
RUN python3 -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# Wheels first (one resolver pass, nothing compiled in the runtime stage), then install them.
RUN /opt/venv/bin/pip wheel --wheel-dir /tmp/wheels -r /tmp/requirements.txt \
 && /opt/venv/bin/pip install --no-index --find-links /tmp/wheels -r /tmp/requirements.txt \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
 && rm -rf /tmp/wheels

# ---- runtime: the base, pg_dump/pg_restore for backups, the virtualenv and the code
FROM ${BASE_IMAGE} AS runtime
# postgresql-client-15: backups need a pg_dump as new as the server (15 on bookworm/Render).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client-15 \
    python3 ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && useradd --create-home --uid 10001 --shell /usr/sbin/nologin app \
 && mkdir -p /data/files /data/db /app/out \
 && chown -R app:app /data /app/out
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=root:root . /app
RUN chmod 0755 /app/docker/entrypoint.sh && python3 -m compileall -q /app/core /app/workers /app/evals /app/ui
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    APP_ENV=prod \
    FILES_DIR=/data/files \
    DATABASE_URL=sqlite:////data/db/course_studio.db \
    PORT=8501
USER app
EXPOSE 8501 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=4 \
  CMD python3 -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/_stcore/health' % os.environ.get('PORT', '8501'), timeout=4).read()"
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
