# Firelane in a container: SQLite in /data by default; set FIRELANE_DATABASE_URL for PostgreSQL.
#   docker build -t firelane .
#   docker run -p 8000:8000 -e FIRELANE_SECRET_KEY=... -v firelane:/data firelane
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 firelane \
    && mkdir /data && chown firelane /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
WORKDIR /data
ENV FIRELANE_ENVIRONMENT=production \
    FIRELANE_DATABASE_URL=sqlite:////data/firelane.db \
    PYTHONUNBUFFERED=1
EXPOSE 8000
VOLUME ["/data"]
# Healthy = ready: the database answers at the schema's head and the loops go round.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["firelane", "serve", "--host", "0.0.0.0", "--port", "8000"]
