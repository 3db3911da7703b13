"""The Celery app. Configuration lives in Django settings under the CELERY_ prefix."""

import logging
import os

from celery import Celery, bootsteps
from celery.signals import worker_init, worker_process_init

from quizapp.core import logs  # noqa: F401 - its setup_logging receiver: workers log like the web

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quizapp.settings")

logger = logging.getLogger(__name__)

app = Celery("quizapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

HEARTBEAT_EVERY_SECONDS = 5.0


class HeartbeatStep(bootsteps.StartStopStep):
    """Record this worker as alive (and which queues it serves) every few seconds."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        self.beat(worker)
        self.timer_ref = worker.timer.call_repeatedly(HEARTBEAT_EVERY_SECONDS, self.beat, (worker,), priority=10)

    def stop(self, worker):
        if self.timer_ref:
            self.timer_ref.cancel()
        from quizapp.core.services import worker_heartbeat_remove

        try:
            worker_heartbeat_remove(hostname=worker.hostname)
        except Exception:
            logger.warning("could not remove the heartbeat of %s", worker.hostname, exc_info=True)

    def beat(self, worker):
        import torch

        from quizapp.core.services import worker_heartbeat_record

        queues = sorted(worker.app.amqp.queues.consume_from or {"demos": None})
        try:
            worker_heartbeat_record(hostname=worker.hostname, queues=queues, has_cuda=torch.cuda.is_available())
        except Exception:  # the database may be briefly away; the next beat tries again
            logger.warning("worker heartbeat failed", exc_info=True)


app.steps["worker"].add(HeartbeatStep)


class SpeechModelCheck(bootsteps.StartStopStep):
    """A worker for the `speech` queue refuses to start when the configured speech-to-text model cannot run
    here (transformers or ffmpeg missing, no such folder), saying which, instead of failing every recording."""

    def start(self, worker):
        from django.core.exceptions import ImproperlyConfigured

        from quizapp.interviews import speech

        if speech.QUEUE in (worker.app.amqp.queues.consume_from or {}):
            problem = speech.problem() if speech.configured() else "SPEECH_TO_TEXT_MODEL is not set"
            if problem:
                raise ImproperlyConfigured(problem)


app.steps["worker"].add(SpeechModelCheck)


@worker_process_init.connect
def warm_up_engine(**kwargs):
    """Each pool process pays PyTorch's import-time costs once, at start, not on a learner's run."""
    from engine.runtime import warm_up

    warm_up()


@worker_init.connect
def lower_worker_priority(**kwargs):
    """However the worker was started (make run, compose, a deployment's unit), it and the pool processes it
    forks run below the web's priority: a page waits for no demo. Where every session is its own scheduling
    group (Linux's autogroup), the worker first leaves the web's session for one of its own, so the web's
    requests do not split its group's share of the CPU; its niceness then orders it where the two still share
    a group (autogroup off, or a worker that could not leave); containers take their share from compose's
    cpu_shares instead."""
    from quizapp.core.priority import lower_cpu_priority, own_scheduling_group

    apart = own_scheduling_group()
    logger.info("worker niceness %d, %s", lower_cpu_priority(),
                "in a session of its own" if apart else "in the session it was started in")
