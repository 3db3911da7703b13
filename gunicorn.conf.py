"""Gunicorn's settings for the web service, read from the environment (gunicorn loads this file
from the working directory by default: `gunicorn quizapp.wsgi:application` is the whole command).

PORT: the port to listen on, all interfaces (8000).
WEB_CONCURRENCY: worker processes (3); each serves one request at a time.
GUNICORN_TIMEOUT: seconds a request may take before its worker is restarted (30).
FORWARDED_ALLOW_IPS: addresses of the proxies whose X-Forwarded-* headers are trusted
  (127.0.0.1,::1; `*` where only the proxy can reach the container). Django itself reads
  X-Forwarded-Proto through SECURE_PROXY_SSL_HEADER, so the proxy must overwrite a client's own.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = timeout  # a deploy lets requests in flight finish
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# The app logs one line per request itself, in LOG_FORMAT and with its request id (quizapp.core.logs):
# gunicorn's own access line would say the same again in another format.
accesslog = None
errorlog = "-"
# Heartbeat files in memory: a container's /tmp may be an overlay on a slow disk, which can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
