from django import forms
from django.contrib.auth.forms import AuthenticationForm

from integrations.validators import erpnext_site_url

from .services import SECRET_FIELDS


class LoginForm(AuthenticationForm):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))


class RegisterForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    password = forms.CharField(max_length=128, strip=False, widget=forms.PasswordInput)


class IntegrationSettingsForm(forms.Form):
    """The settings page. A blank secret keeps the stored one; "clear" removes it."""

    erpnext_url = forms.CharField(
        label="ERPNext URL",
        required=False,
        max_length=512,
        widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com"}),
    )
    erpnext_api_key = forms.CharField(label="API key", required=False, max_length=512)
    erpnext_api_secret = forms.CharField(
        label="API secret",
        required=False,
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    erpnext_api_secret_clear = forms.BooleanField(label="Clear the stored secret", required=False)
    nextcloud_url = forms.CharField(
        label="Nextcloud URL",
        required=False,
        max_length=512,
        widget=forms.URLInput(attrs={"placeholder": "https://cloud.example.com"}),
    )
    nextcloud_username = forms.CharField(label="Username", required=False, max_length=255)
    nextcloud_password = forms.CharField(
        label="Password",
        required=False,
        max_length=4096,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    nextcloud_password_clear = forms.BooleanField(label="Clear the stored password", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.notes: list[str] = []

    def clean_erpnext_url(self) -> str:
        url, note = erpnext_site_url(self.cleaned_data["erpnext_url"])
        if note:
            self.notes.append(note)
        return url

    def changes(self) -> dict[str, str | None]:
        """The settings service's `changes`: None keeps a secret, "" clears a field."""
        data = self.cleaned_data
        changes: dict[str, str | None] = {}
        for field in ("erpnext_url", "erpnext_api_key", "nextcloud_url", "nextcloud_username"):
            changes[field] = data[field]
        for field in SECRET_FIELDS:
            if data[f"{field}_clear"]:
                changes[field] = ""
            else:
                changes[field] = data[field] or None
        return changes


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=255)
    expires_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Leave empty for a token that does not expire.",
    )
