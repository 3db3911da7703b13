from datetime import timedelta

from django.utils import timezone

from quizapp.core.models import WorkerHeartbeat

WORKER_FRESH_SECONDS = 20


def worker_heartbeat_record(*, hostname: str, queues: list[str], has_cuda: bool) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"queues": queues, "has_cuda": has_cuda, "seen_at": timezone.now()})


def worker_heartbeat_remove(*, hostname: str) -> None:
    WorkerHeartbeat.objects.filter(hostname=hostname).delete()


def live_workers() -> list[WorkerHeartbeat]:
    since = timezone.now() - timedelta(seconds=WORKER_FRESH_SECONDS)
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=since).order_by("hostname"))


def worker_is_live(*, hostname: str) -> bool:
    since = timezone.now() - timedelta(seconds=WORKER_FRESH_SECONDS)
    return WorkerHeartbeat.objects.filter(hostname=hostname, seen_at__gte=since).exists()


def served_queues() -> set[str]:
    """The task queues some live worker consumes."""
    return {queue for worker in live_workers() for queue in worker.queues}
