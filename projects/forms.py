from django import forms

from .models import Project, ProjectRole
from .takeoff_query import GROUP_FIELDS


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=255)
    code = forms.CharField(max_length=64, required=False, help_text="Your own project number.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(choices=Project.Status.choices, initial=Project.Status.OPEN)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Project.Status.choices)


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=ProjectRole.choices, initial=ProjectRole.VIEWER)


class ModelUploadForm(forms.Form):
    file = forms.FileField(
        label="IFC model",
        help_text="An .ifc (IFC2X3, IFC4 or IFC4X3) or .ifczip file.",
        widget=forms.ClearableFileInput(attrs={"accept": ".ifc,.ifczip"}),
    )
    allow_duplicate = forms.BooleanField(
        required=False,
        label="Store it as a new version even though it is identical to an earlier one",
    )


def _choice_input(name: str) -> forms.TextInput:
    return forms.TextInput(attrs={"list": f"choices-{name}", "autocomplete": "off"})


class TakeoffFilterForm(forms.Form):
    group_by = forms.MultipleChoiceField(
        choices=[(name, name.replace("_", " ")) for name in GROUP_FIELDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Group by",
    )
    # "contains", case-insensitive; the datalists (choices-<name>) offer the values that exist.
    ifc_class = forms.CharField(
        required=False, label="IFC class", widget=_choice_input("ifc_class")
    )
    type_name = forms.CharField(required=False, label="Type", widget=_choice_input("type_name"))
    material = forms.CharField(required=False, widget=_choice_input("material"))
    storey = forms.CharField(required=False, widget=_choice_input("storey"))
