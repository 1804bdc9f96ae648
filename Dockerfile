# One container, one port, data in /data. It runs the same launcher as `make run`
# (embedded PostgreSQL + SeaweedFS unless DATABASE_URL / S3_ENDPOINT_URL are given).
FROM python:3.11-slim-bookworm

RUN apt-get update && apt-get install -y --no-install-recommends make npm git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY . /app
RUN scripts/setup.sh

ENV PAZPAZ_DATA_DIR=/data \
    PAZPAZ_BIND=0.0.0.0 \
    PAZPAZ_PORT=3000 \
    PAZPAZ_PUBLIC_URL=http://localhost:3000
VOLUME ["/data"]
EXPOSE 3000
STOPSIGNAL SIGTERM
CMD [".venv/bin/python", "-m", "pazpaz.launcher"]
