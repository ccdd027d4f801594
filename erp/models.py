"""What this server keeps about the ERPNext side: sites, project links, status history."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.models import Project

from .normalise import desk_url


def new_webhook_token() -> str:
    """The unguessable path segment of a site's webhook URL (not a secret: the HMAC is)."""
    return secrets.token_urlsafe(24)


class ErpnextSite(models.Model):
    """One ERPNext site links point to, with the secret its Webhook signs deliveries with."""

    url = models.CharField(max_length=512, unique=True, help_text="Normalised base URL.")
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)
    webhook_secret = models.TextField(
        blank=True, help_text="Fernet ciphertext of the webhook secret, never the secret itself."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "erpnext_sites"
        ordering = ["url"]
        verbose_name = "ERPNext site"

    def __str__(self) -> str:
        return self.url

    @property
    def webhook_secret_set(self) -> bool:
        """Whether deliveries to this site's webhook URL can be verified."""
        return bool(self.webhook_secret)


class ErpnextProjectLink(models.Model):
    """A BIM project's link to one ERPNext Project, with what we last saw of it."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="erpnext_link")
    site = models.ForeignKey(ErpnextSite, on_delete=models.PROTECT, related_name="links")
    erpnext_project = models.CharField(max_length=140, help_text="The Project's name, PROJ-0001.")
    title = models.CharField(max_length=255, blank=True, help_text="ERPNext's project_name.")
    status = models.CharField(max_length=32, blank=True, help_text="ERPNext status last seen.")
    percent_complete = models.FloatField(null=True, blank=True)
    expected_start_date = models.DateField(null=True, blank=True)
    expected_end_date = models.DateField(null=True, blank=True)
    company = models.CharField(max_length=140, blank=True)
    erpnext_modified = models.CharField(
        max_length=26,
        blank=True,
        help_text="ERPNext's `modified` last seen, YYYY-MM-DD HH:MM:SS.ffffff.",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="erpnext_links",
        help_text="Background sync runs with this user's ERPNext credentials.",
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(
        blank=True, help_text="Why the last sync failed; empty when fine."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "erpnext_project_links"
        ordering = ["-created_at"]
        verbose_name = "ERPNext project link"
        constraints = [
            models.UniqueConstraint(
                fields=["site", "erpnext_project"], name="erpnext_link_one_bim_project"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} -> {self.erpnext_project} on {self.site}"

    @property
    def desk_url(self) -> str:
        """The Project's page in ERPNext's desk."""
        return desk_url(self.site.url, "Project", self.erpnext_project)


class ProjectStatusChange(models.Model):
    """One change of a project's status (or of what ERPNext says about it), and its origin."""

    class Field(models.TextChoices):
        STATUS = "status", "BIM status"
        ERPNEXT_STATUS = "erpnext_status", "ERPNext status"
        PERCENT_COMPLETE = "percent_complete", "% complete"
        EXPECTED_START_DATE = "expected_start_date", "Expected start"
        EXPECTED_END_DATE = "expected_end_date", "Expected end"
        LINK = "link", "Link"

    class Source(models.TextChoices):
        USER = "user", "User"
        PUSH = "push", "Push to ERPNext"
        PULL = "pull", "Pull from ERPNext"
        WEBHOOK = "webhook", "ERPNext webhook"
        PERIODIC = "periodic", "Periodic pull"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_changes")
    field = models.CharField(max_length=32, choices=Field.choices)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="project_status_changes",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    erpnext_site = models.CharField(max_length=512, blank=True)
    erpnext_project = models.CharField(max_length=140, blank=True)
    erpnext_modified = models.CharField(max_length=26, blank=True)
    applied = models.BooleanField(default=True, help_text="False: ignored or failed, see note.")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "project_status_changes"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["project", "-at"], name="status_change_project_at")]

    def __str__(self) -> str:
        return (
            f"{self.project}: {self.field} {self.old_value!r} -> {self.new_value!r} ({self.source})"
        )


class WebhookDelivery(models.Model):
    """A webhook body already received from a site, so a replay of it is refused."""

    site = models.ForeignKey(ErpnextSite, on_delete=models.CASCADE, related_name="deliveries")
    body_sha256 = models.CharField(max_length=64)
    erpnext_project = models.CharField(max_length=140, blank=True)
    erpnext_modified = models.CharField(max_length=26, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "erpnext_webhook_deliveries"
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["site", "body_sha256"], name="webhook_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.erpnext_project} {self.erpnext_modified} ({self.outcome})"
