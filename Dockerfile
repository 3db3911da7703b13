# One image for web, worker, beat and gpu-worker (speech: the same with SPEECH=1). TORCH_INDEX picks the wheel index: the CPU build by
# default; build the gpu-worker with --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/vendor.sh scripts/vendor.sh
RUN bash scripts/vendor.sh

FROM python:3.11-slim-bookworm
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# SPEECH=1 (compose's speech worker) adds what transcribing spoken answers needs: transformers and ffmpeg.
ARG SPEECH=""
# PORT: gunicorn binds 0.0.0.0:$PORT when its config names no address (it would take 127.0.0.1 otherwise).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var DEBUG=false PORT=8000
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --extra-index-url "$TORCH_INDEX" -r requirements.txt
RUN if [ -n "$SPEECH" ]; then apt-get update && apt-get install -y --no-install-recommends ffmpeg \
      && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir transformers; fi
# .dockerignore keeps .venv, .git, var/ (local databases), node_modules and .env out of the image.
COPY . .
COPY --from=assets /app/static/vendor static/vendor
# The code stays root's, read-only to the app; only var/ (static files, beat's schedule, media: compose's
# volume there starts owned by app) is the app's.
RUN SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv -v0 \
 && SECRET_KEY=build-only python manage.py collectstatic --no-input -v0 \
 && mkdir -p /app/var/media && chown -R app:app /app/var
USER app
EXPOSE 8000
# For the web, the default command; compose gives the workers and beat their own checks.
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 CMD ["python", "scripts/healthcheck.py"]
# gunicorn reads gunicorn.conf.py from /app (workers, timeouts, logging).
CMD ["gunicorn", "quizapp.wsgi:application"]
