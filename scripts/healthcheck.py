"""The web image's HEALTHCHECK: does this container's gunicorn serve /healthz?

Standard library only, no Django start-up: it runs every few seconds. It asks as the proxy would:
with a Host that ALLOWED_HOSTS accepts (production need not allow 127.0.0.1) and
X-Forwarded-Proto: https (so an SSL redirect does not answer instead). 200 and 503 both count as
healthy: 503 means the database, broker or workers are down, which restarting or unrouting this
web container would not mend; anything else (no answer, 400 for a refused host, 500) is this
container's own fault.

It waits 8 s: with the broker hung /healthz answers in about 4 s (quizapp.core.health's probe), and
twice that keeps a slow but healthy answer from counting as none, within the image's 10 s HEALTHCHECK
--timeout (Dockerfile, docker-compose.yml).
"""

import http.client
import os
import sys

HEALTHY = {200, 503}


def allowed_host() -> str:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    first = hosts[0] if hosts else "localhost"
    return "localhost" if first == "*" else first.lstrip(".")  # ".example.org" allows example.org too


def main() -> int:
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=8)
    try:
        connection.request("GET", "/healthz", headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as error:
        print(f"web: no answer on /healthz: {error}")
        return 1
    print(f"web: /healthz answered {status}")
    return 0 if status in HEALTHY else 1


if __name__ == "__main__":
    sys.exit(main())
