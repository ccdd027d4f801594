"""The last cost figures read from ERPNext for a project, kept so the page is fast and can
say how old they are when ERPNext is down."""

from django.conf import settings
from django.db import models


class CostSnapshot(models.Model):
    """One project's last cost figures (ERPNext + model estimate) and when they were read."""

    project = models.OneToOneField(
        "projects.Project", on_delete=models.CASCADE, related_name="cost_snapshot"
    )
    figures = models.JSONField(default=dict)
    erpnext_site = models.CharField(max_length=500, blank=True)
    erpnext_project = models.CharField(max_length=140, blank=True)
    fetched_at = models.DateTimeField()
    fetched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    http_requests = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "cost_snapshots"

    def __str__(self) -> str:
        return f"Costs of {self.project_id} at {self.fetched_at:%Y-%m-%d %H:%M}"
