# syntax=docker/dockerfile:1
# Build stage: install the pinned dependencies and the package into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml requirements.lock README.md ./
COPY src ./src
RUN /opt/venv/bin/pip install -c requirements.lock .

# Runtime stage: only the environment, the migrations and an unprivileged user.
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    WR_MIGRATIONS_DIR=/app/migrations \
    WR_ENVIRONMENT=production
RUN useradd --system --uid 10001 --home-dir /app wijkregistratie
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY migrations ./migrations
USER wijkregistratie
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=2).status != 200)"
# Run `wijkregistratie migrate` once per release (a job or init container), then start the API.
CMD ["wijkregistratie", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
