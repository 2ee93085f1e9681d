# cfsync's image: `docker build -t cfsync:0.1.0 .` at the top of the repository (the version is
# pyproject.toml's; deploy/kubernetes/ runs this tag). `docker run` starts `cfsync run`; any other command
# goes after the image name (`docker run --rm ... cfsync:0.1.0 sync`).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md config.example.toml ./
COPY cfsync cfsync
COPY migrations migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/cfsync --create-home cfsync
# Keys come from the environment (MATON_API_KEY, or what the config's api_key_env names;
# CFSYNC_DATABASE_URL), the config from CFSYNC_CONFIG or ./cfsync.toml; without one, the defaults: Maton,
# and sqlite:///cfsync.db in the working directory, the volume.
ENV PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /var/lib/cfsync
VOLUME ["/var/lib/cfsync"]
# /healthz, /metrics and /status of `cfsync run` ([run].port); 8787 is [webhooks].port, when configured.
EXPOSE 8788
# 200 once the database is reachable and migrated; urlopen raises on 503. A first migration may take
# minutes on a large database: the start period lets it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5m --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8788/healthz', timeout=4)"]
ENTRYPOINT ["cfsync"]
# In a container the port must listen on every interface; the flag overrides [run].host.
CMD ["run", "--host", "0.0.0.0"]
