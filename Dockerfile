# The service desk image: one image for web (gunicorn), worker and beat (Celery); see docker-compose.yml.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext provides msgfmt for compilemessages; psycopg2-binary brings its own libpq.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Installing the project installs only its
# dependencies (pyproject: packages = []); the apps run from /app. The test extras are not installed.
COPY pyproject.toml ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Translations are compiled into the image (web's start command runs compilemessages again: a no-op unless
# a catalogue is newer). var/ holds what the app writes: collected static files, the beat schedule, and
# var/uploads, which docker-compose.yml mounts as a volume. The app runs as an unprivileged user.
RUN mkdir -p locale var/uploads \
    && python manage.py compilemessages -v 0 --ignore=.venv --ignore=var \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin desk \
    && chown -R desk:desk var locale

USER desk

ENV BIND=0.0.0.0:8000
EXPOSE 8000

# Migrate, collect static files, compile translations, then gunicorn with the Procfile's `web` command.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput -v 0 && python manage.py compilemessages -v 0 --ignore=.venv --ignore=var && exec honcho start -f Procfile --no-prefix web"]
