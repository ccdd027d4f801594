"""Users, their roles and their integration settings, and personal API tokens."""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower

from .managers import UserManager


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class User(AbstractUser):
    """A person signed in to the bridge, with a global role and their own ERPNext/Nextcloud."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    # Columns of OpenAEC's 001_add_integration_fields (our migration 0002): NULL means unset,
    # as in OpenAEC's schema, hence null=True on text (DJ001).
    erpnext_url = models.CharField(max_length=512, null=True, blank=True)  # noqa: DJ001
    erpnext_api_key = models.CharField(max_length=512, null=True, blank=True)  # noqa: DJ001
    erpnext_api_secret = models.TextField(  # noqa: DJ001
        null=True, blank=True, help_text="Fernet ciphertext, never the secret itself."
    )
    nextcloud_url = models.CharField(max_length=512, null=True, blank=True)  # noqa: DJ001
    nextcloud_username = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    nextcloud_password = models.TextField(  # noqa: DJ001
        null=True, blank=True, help_text="Fernet ciphertext, never the password itself."
    )

    objects = UserManager()

    class Meta:
        db_table = "users"
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    def save(self, *args, **kwargs) -> None:
        if self.is_superuser:
            self.role = Role.ADMIN
        # set_password() keeps the new password in _password until the row is saved, whatever
        # the door (admin, changepassword); Django's hash upgrade on login clears it first.
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            # The JWTs die with the old hash (CHECK_REVOKE_TOKEN); personal tokens go here.
            self.api_tokens.all().delete()

    @property
    def is_admin(self) -> bool:
        """Global admin: superusers and users with the admin role."""
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def can_edit(self) -> bool:
        """May change integration settings, link, sync and order."""
        return self.is_admin or self.role == Role.EDITOR

    @property
    def erpnext_configured(self) -> bool:
        """URL, key and secret are all stored."""
        return bool(self.erpnext_url and self.erpnext_api_key and self.erpnext_api_secret)

    @property
    def nextcloud_configured(self) -> bool:
        """URL, username and password are all stored."""
        return bool(self.nextcloud_url and self.nextcloud_username and self.nextcloud_password)


class ApiToken(models.Model):
    """A personal API token for scripts; only its SHA-256 is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=255)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_tokens"
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"
