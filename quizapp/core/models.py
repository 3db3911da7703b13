from django.db import models


class WorkerHeartbeat(models.Model):
    """Each Celery worker writes its row every few seconds (see quizapp.celery.HeartbeatStep).

    Works with any broker, including the file broker that cannot broadcast pings, and tells the
    web which queues have a live consumer (a `gpu` queue only gets work when a GPU worker lives).
    """

    hostname = models.CharField(max_length=200, primary_key=True)
    queues = models.JSONField(default=list)
    has_cuda = models.BooleanField(default=False)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.hostname
