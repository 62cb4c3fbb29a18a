FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY db db
COPY ingestion ingestion
COPY analytics analytics
COPY forecasting forecasting
COPY dashapp dashapp
COPY cli cli
RUN pip install --no-cache-dir .
USER nobody
EXPOSE 8050
CMD ["gunicorn", "--bind", "0.0.0.0:8050", "--workers", "4", "--threads", "4", "dashapp.app:wsgi()"]
