# syntax=docker/dockerfile:1
# Build stage: a wheel of the application and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir --upgrade pip wheel
COPY pyproject.toml README.md ./
COPY app ./app
COPY invitations ./invitations
COPY reports ./reports
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: no compilers, a non-root user, migrations shipped beside the code.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    RETENTION_ENVIRONMENT=production
RUN useradd --create-home --uid 10001 retention
WORKDIR /srv/retention
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/* && rm -rf /wheels
COPY alembic.ini ./
COPY alembic ./alembic
RUN mkdir -p var && chown retention:retention var
USER retention
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["retention", "serve", "--host", "0.0.0.0", "--port", "8000"]
