# One image for every role: daphne, Celery workers and the migrate job (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected into the image and served by WhiteNoise from each node.
RUN DJANGO_SETTINGS_MODULE=cxhub.settings.local CXHUB_VAR_DIR=/app/var python manage.py collectstatic --noinput \
    && useradd --system --home /app cxhub && chown -R cxhub /app/var
USER cxhub
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--proxy-headers", "cxhub.asgi:application"]
