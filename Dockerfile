# Northbound: one `northbound serve` per container. Slim, non-root, no compilers at run time.
#   docker build -t northbound .
#   docker run -e NORTHBOUND_SECRET_KEY=... -e NORTHBOUND_DATABASE_URL=... -p 8000:8000 northbound
# Migrations run once per release, not in every container: `docker run ... northbound db upgrade`.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# Wheels of the site and every dependency, so the final image needs no build tools.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    NORTHBOUND_DATA_DIR=/var/lib/northbound \
    NORTHBOUND_METRICS__PORT=9464 \
    NORTHBOUND_METRICS__HOST=0.0.0.0
RUN groupadd --system --gid 10001 northbound \
 && useradd --system --uid 10001 --gid northbound --home-dir /var/lib/northbound \
        --shell /usr/sbin/nologin northbound \
 && install -d -o northbound -g northbound -m 0700 /var/lib/northbound
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels northbound && rm -rf /wheels
USER 10001:10001
WORKDIR /var/lib/northbound
# 8000: the site (behind nginx or an ingress); 9464: /metrics for Prometheus only.
EXPOSE 8000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# SIGTERM lets requests in flight finish (NORTHBOUND_GRACEFUL_SHUTDOWN_SECONDS).
STOPSIGNAL SIGTERM
CMD ["northbound", "serve", "--host", "0.0.0.0", "--port", "8000"]
