import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoRun(models.Model):
    """One computation of a demo with given parameters. Finished runs are shared as a cache:
    the same demo, parameters and engine version are computed once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    demo_id = models.CharField(max_length=8)
    params = models.JSONField()
    params_key = models.CharField(max_length=64, help_text="sha256 of the canonical parameter JSON")
    engine_version = models.CharField(max_length=20)
    queue = models.CharField(max_length=20, default="demos")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    progress_message = models.JSONField(default=dict, blank=True,
                                        help_text='what the run is doing, {"en": ..., "zh": ...}; {} before it starts')
    progress_seq = models.PositiveIntegerField(
        default=0, help_text="counts the run's changes a page can see (claim, each progress report, the end): a page "
                             "polling it draws only what is new")
    live_charts = models.JSONField(default=list, blank=True,
                                   help_text="the charts so far while the network trains (the result's chart shape); "
                                             "[] once finished, when the result holds the final ones")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    worker = models.CharField(max_length=200, blank=True, default="")
    task_id = models.CharField(max_length=255, blank=True, default="",
                               help_text="the Celery task that claimed the run; its retries may claim it again")
    task_retries = models.PositiveSmallIntegerField(
        default=0, help_text="the claiming task's retry number: a delivery with the same number is a redelivery")
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="deliveries of the claiming try that started computing (a lost worker's redelivery "
                             "counts; DEMO_MAX_DELIVERIES bounds it)")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["demo_id", "params_key", "engine_version", "status"], name="demorun_cache_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="demorun_stale_idx"),
        ]

    def __str__(self):
        return f"{self.demo_id} {self.status} {self.id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class DemoRequest(models.Model):
    """A learner asked for a run: their history, and what the rate limit counts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_requests")
    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="requests")
    from_cache = models.BooleanField(default=False)
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.run.demo_id}"
