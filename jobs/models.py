"""The one record of background work: every kind of job (takeoff, BOM sync, ...) is a Job row."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class JobQuerySet(models.QuerySet):
    """Who may see a job is the project's rule: jobs of the projects a user may see."""

    def for_user(self, user) -> "JobQuerySet":
        """Jobs of projects visible to the user."""
        from projects.models import Project

        return self.filter(project__in=Project.objects.for_user(user))

    def stalled(self) -> "JobQuerySet":
        """Running jobs whose worker has given no sign of life for JOB_STALL_SECONDS."""
        cutoff = timezone.now() - timezone.timedelta(seconds=settings.JOB_STALL_SECONDS)
        return self.filter(state=Job.State.RUNNING).filter(
            Q(heartbeat_at__lt=cutoff)
            | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
            | Q(heartbeat_at__isnull=True, started_at__isnull=True, updated_at__lt=cutoff)
        )


class Job(models.Model):
    """One piece of background work of a project: what it was asked, how far it is, how it ended.

    `kind` names the handler registered in jobs.registry; `params` is the frozen input,
    `checkpoint` what a resumed attempt needs, `result` what a finished one produced.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="jobs")
    model_version = models.ForeignKey(
        "projects.ModelVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="jobs"
    )
    created_by_name = models.CharField(
        max_length=150, blank=True, help_text="Who started it, kept if they leave."
    )
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who retried it last; a resumed job then acts as them.",
    )
    retried_as = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retry_of",
        help_text="The job that ran this one again.",
    )
    lock_key = models.CharField(
        max_length=100,
        blank=True,
        help_text="Active jobs with one key never run side by side (one BOM sync per project).",
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0 to 100.")
    phase = models.CharField(max_length=255, blank=True)
    params = models.JSONField(default=dict, blank=True, help_text="What the job was asked to do.")
    checkpoint = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    documents = models.JSONField(default=list, blank=True, help_text="ERPNext documents written.")
    http_requests = models.PositiveIntegerField(default=0)
    reads = models.PositiveIntegerField(default=0)
    writes = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    error_details = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        db_table = "jobs"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "queued_at"], name="job_queue_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_max_100"),
            models.UniqueConstraint(
                fields=["lock_key"],
                condition=Q(state__in=["queued", "running"]) & ~Q(lock_key=""),
                name="job_one_active_per_lock_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.id} ({self.state})"

    def get_kind_display(self) -> str:
        """The kind's label as its app registered it."""
        from .registry import label_of

        return label_of(self.kind)

    @property
    def is_finished(self) -> bool:
        """Succeeded or failed: nothing more will change."""
        return self.state in {self.State.SUCCEEDED, self.State.FAILED}

    @property
    def last_sign_at(self):
        """When the worker last showed it was alive (or the job last changed)."""
        return self.heartbeat_at or self.started_at or self.updated_at

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker has not written progress for JOB_STALL_SECONDS (it died)."""
        last_sign = self.last_sign_at
        if self.state != self.State.RUNNING or last_sign is None:
            return False
        return (timezone.now() - last_sign).total_seconds() > settings.JOB_STALL_SECONDS
