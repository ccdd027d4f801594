from django import forms

from .constants import WEBHOOK_SECRET_MAX_LENGTH, WEBHOOK_SECRET_MIN_LENGTH


class DateInput(forms.DateInput):
    input_type = "date"


class SearchForm(forms.Form):
    q = forms.CharField(max_length=140, required=False, label="Search ERPNext projects")
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class LinkForm(forms.Form):
    erpnext_project = forms.CharField(
        max_length=140, label="ERPNext project ID", help_text="The ID, e.g. PROJ-0001."
    )


class CreateForm(forms.Form):
    company = forms.CharField(
        max_length=140,
        required=False,
        help_text="The ERPNext company; leave empty to use your ERPNext default.",
    )
    expected_start_date = forms.DateField(required=False, widget=DateInput)
    expected_end_date = forms.DateField(required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("expected_start_date"), data.get("expected_end_date")
        if start and end and end < start:
            self.add_error("expected_end_date", "The end must not be before the start.")
        return data


class WebhookSecretForm(forms.Form):
    secret = forms.CharField(
        required=False,
        strip=False,
        min_length=WEBHOOK_SECRET_MIN_LENGTH,
        max_length=WEBHOOK_SECRET_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to have a strong secret generated.",
    )
