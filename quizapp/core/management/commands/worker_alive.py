"""A worker container's health check: has this host's Celery worker reported lately?

Each worker records a heartbeat row every few seconds from its main process (quizapp.celery.HeartbeatStep),
so one query answers for any broker; `celery inspect ping` would need a broadcast the file broker lacks.
"""

from celery.utils.nodenames import default_nodename
from django.core.management.base import BaseCommand, CommandError

from quizapp.core.services import WORKER_FRESH_SECONDS, worker_is_live


class Command(BaseCommand):
    help = "Exit 0 when the named worker (by default this host's) reported in the last few seconds, 1 otherwise."

    def add_arguments(self, parser):
        parser.add_argument("--hostname", default=default_nodename(None),
                            help="the worker's node name (celery -n); Celery's default is celery@<host name>")

    def handle(self, *args, hostname: str, **options):
        if not worker_is_live(hostname=hostname):
            raise CommandError(f"worker {hostname} has not reported in the last {WORKER_FRESH_SECONDS} s")
        self.stdout.write(f"worker {hostname} is alive")
