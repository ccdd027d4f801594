from decimal import Decimal

from django import forms

from openaec.exceptions import ApplicationError
from openaec.numbers import LocalDecimalField

from .constants import (
    IMPLAUSIBLE_EXPORTED,
    IMPLAUSIBLE_MEASURED,
    MAX_NAME_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_WASTE_FACTOR,
)
from .models import QuantityKind
from .services import clean_rule_fields
from .services.planning import clean_options


class MappingRuleForm(forms.Form):
    ifc_class = forms.CharField(
        label="IFC class", max_length=MAX_PATTERN_LENGTH, required=False, initial="*"
    )
    type_name = forms.CharField(max_length=MAX_PATTERN_LENGTH, required=False, initial="*")
    material = forms.CharField(max_length=MAX_PATTERN_LENGTH, required=False, initial="*")
    item_code = forms.CharField(label="ERPNext item code", max_length=MAX_NAME_LENGTH)
    item_name = forms.CharField(max_length=MAX_NAME_LENGTH, required=False)
    quantity = forms.ChoiceField(choices=QuantityKind.choices)
    uom = forms.CharField(label="UOM", max_length=MAX_NAME_LENGTH)
    # People type waste as a percentage; rules (and the API) keep the fraction.
    waste_percent = LocalDecimalField(
        percent=True,
        label="Waste (%)",
        required=False,
        initial=Decimal(0),
        help_text="5 adds 5 % to the quantity.",
    )
    unit_factor = LocalDecimalField(
        required=False,
        initial=Decimal(1),
        help_text="Multiplies the SI quantity (0,001 or 0.001: kg -> t).",
    )
    rate = LocalDecimalField(required=False, help_text="Rate per UOM, if known (350,00 or 350.00).")
    priority = forms.IntegerField(initial=0, required=False, help_text="Higher is tried first.")
    supplier = forms.CharField(
        label="ERPNext supplier",
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text="For purchase orders; empty: the Item's default supplier.",
    )

    def offer_uoms(self, choices) -> None:
        """Offer the ERPNext UOMs (a datalist, `uom-choices`) or say why they are not known."""
        field = self.fields["uom"]
        if choices.names:
            field.widget.attrs["list"] = "uom-choices"
            field.help_text = f"One of the {len(choices.names)} UOMs of your ERPNext."
        elif choices.note:
            field.help_text = choices.note

    @classmethod
    def initial_for(cls, rule) -> dict:
        """The form's initial values from a saved rule."""
        initial = {name: getattr(rule, name) for name in cls.base_fields if hasattr(rule, name)}
        initial["waste_percent"] = rule.waste_factor
        return initial

    def clean_waste_percent(self) -> Decimal | None:
        value = self.cleaned_data["waste_percent"]
        if value is not None and not 0 <= value <= MAX_WASTE_FACTOR:
            raise forms.ValidationError(
                f"Waste is a percentage from 0 to {MAX_WASTE_FACTOR * 100} %."
            )
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        fields = {k: v for k, v in data.items() if v is not None and k != "waste_percent"}
        if data.get("waste_percent") is not None:
            fields["waste_factor"] = data["waste_percent"]
        try:
            # The same checks as the API's (services.clean_rule_fields).
            return clean_rule_fields(fields)
        except ApplicationError as exc:
            for name, messages in exc.extra.get("errors", {}).items():
                name = "waste_percent" if name == "waste_factor" else name
                self.add_error(name if name in self.fields else None, messages)
            if not exc.extra.get("errors"):
                raise forms.ValidationError(exc.message) from exc
        return data


class SyncForm(forms.Form):
    model_version = forms.TypedChoiceField(coerce=int, label="Model version")
    create_missing_items = forms.BooleanField(
        required=False, label="Create missing Items in ERPNext"
    )
    submit = forms.BooleanField(required=False, label="Submit the BOM (else a draft)")
    assembly_item = forms.CharField(
        max_length=MAX_NAME_LENGTH, required=False, help_text="Blank: BIM-<project slug>."
    )
    item_group = forms.CharField(
        max_length=MAX_NAME_LENGTH, required=False, help_text="For created Items."
    )
    company = forms.CharField(max_length=MAX_NAME_LENGTH, required=False)
    currency = forms.CharField(max_length=MAX_NAME_LENGTH, required=False)
    price_list = forms.CharField(
        max_length=MAX_NAME_LENGTH,
        required=False,
        help_text="Buying price list for the rules' rates. Blank: Standard Buying.",
    )
    implausible_quantities = forms.ChoiceField(
        choices=[
            (IMPLAUSIBLE_MEASURED, "the measured value (from the geometry)"),
            (IMPLAUSIBLE_EXPORTED, "the exported value (as in the file)"),
        ],
        initial=IMPLAUSIBLE_MEASURED,
        required=False,
        label="Where an exported volume or area is larger than the body allows, use",
        help_text="The preview shows both values on every affected line.",
    )

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model_version"].choices = [
            (v.number, f"v{v.number} — {v.original_filename}") for v in versions
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        options = {k: v for k, v in data.items() if k != "model_version"}
        try:
            return {"model_version": data["model_version"], **clean_options(options)}
        except ApplicationError as exc:
            for name, messages in exc.extra.get("errors", {}).items():
                self.add_error(name if name in self.fields else None, messages)
        return data

    def options(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "model_version"}
