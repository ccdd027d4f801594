"""Fixtures for purchase orders: the recorded ERPNext 15 site (double), a linked project with a
takeoff, Items with purchase UOMs, suppliers and prices, and helpers that call the API."""

from __future__ import annotations

import pytest

from erp.services import links as erp_links
from tests.bom.conftest import add_rule, make_version
from tests.erpnext_double.erpnext import (
    RESTRICTED_KEY,
    RESTRICTED_SECRET,
    SITE_COMPANY,
    recorded_site,
)
from tests.factories import ERP_SECRET, connect_erpnext

# (ifc_class, type_name, material, count, length, area, volume, weight)
BEAMS = ("IfcBeam", "HEA 200", "Steel S235", 6, 36.0, None, 0.19, 10266.0)
PIPES = ("IfcPipeSegment", "DN50", "PVC", 10, 100.0, None, None, None)
DOORS = ("IfcDoor", "Door 90x210", None, 5, None, None, None, None)
MODEL = [BEAMS, PIPES, DOORS]


@pytest.fixture
def site(allow_private):
    """The recorded site on loopback; its System Manager's secret is a known secret."""
    with recorded_site(api_key="bridge-key", api_secret=ERP_SECRET) as double:
        yield double


connect = connect_erpnext


@pytest.fixture
def buyer(editor, site):
    """`editor`, connected to the site as its System Manager."""
    return connect(editor, site)


@pytest.fixture
def restricted(editor, site, linked):
    """`editor`, connected as the Purchase User (+ Projects User, Manufacturing User) after
    linking the project (which needs a Projects User too)."""
    return connect(editor, site, key=RESTRICTED_KEY, secret=RESTRICTED_SECRET)


@pytest.fixture
def erp_project(site):
    return site.add_doc("Project", {"project_name": "Harbour Office ERP", "company": SITE_COMPANY})


@pytest.fixture
def linked(site, buyer, project, erp_project):
    link = erp_links.project_link_create(
        project=project, user=buyer, erpnext_project=erp_project["name"]
    )
    return link


@pytest.fixture
def masters(site):
    """Suppliers, Items with purchase UOMs and defaults, and prices on Standard Buying."""
    for name in ("Steel Supplies", "Build Mart", "Door Co"):
        site.add_doc("Supplier", {"supplier_name": name, "supplier_group": "Raw Material"})
    item = {"item_group": "Raw Material", "is_stock_item": 1}
    site.add_doc(
        "Item",
        {
            **item,
            "item_code": "REBAR",
            "stock_uom": "Kg",
            "uoms": [{"uom": "Tonne", "conversion_factor": 1000}],
            "purchase_uom": "Tonne",
            "item_defaults": [{"company": SITE_COMPANY, "default_supplier": "Steel Supplies"}],
        },
    )
    site.add_doc(
        "Item",
        {
            **item,
            "item_code": "PIPE",
            "stock_uom": "Meter",
            "uoms": [{"uom": "Box", "conversion_factor": 12}],
            "purchase_uom": "Box",
        },
    )
    site.add_doc(
        "Item",
        {**item, "item_code": "DOOR-90", "stock_uom": "Nos", "last_purchase_rate": 120},
    )
    for code, uom, rate in (("REBAR", "Kg", 0.5), ("PIPE", "Box", 30)):
        site.add_doc(
            "Item Price",
            {
                "item_code": code,
                "price_list": "Standard Buying",
                "uom": uom,
                "price_list_rate": rate,
            },
        )
    return site


@pytest.fixture
def rules(project):
    return [
        add_rule(
            project,
            ifc_class="IfcBeam",
            item_code="REBAR",
            quantity="weight",
            uom="Tonne",
            unit_factor="0.001",
        ),
        # 100 m of pipe in boxes of 12 m: 8.33 boxes, ordered as 9 (Box is a whole number)
        add_rule(
            project,
            ifc_class="IfcPipeSegment",
            item_code="PIPE",
            quantity="length",
            uom="Box",
            unit_factor="0.083333",
            supplier="Build Mart",
        ),
        add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", quantity="count", uom="Nos"),
    ]


@pytest.fixture
def version(project):
    return make_version(project, MODEL)


@pytest.fixture
def ready(linked, masters, rules, version):
    """Everything a first order needs, with Door Co chosen for the doors."""
    return version


CHOSEN = {"suppliers": {"DOOR-90": "Door Co"}}


@pytest.fixture
def preview(api_client_for):
    def call(user, project, version, **options):
        return api_client_for(user).post(
            f"/api/projects/{project.slug}/purchase-orders/preview",
            {"model_version": version.number, **options},
            format="json",
        )

    return call


@pytest.fixture
def create(api_client_for, django_capture_on_commit_callbacks):
    """POST .../purchase-orders as `user` and run the job; returns (response, job)."""
    from jobs.models import Job

    def call(user, project, version, **options):
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client_for(user).post(
                f"/api/projects/{project.slug}/purchase-orders",
                {"model_version": version.number, **options},
                format="json",
            )
        job = Job.objects.get(pk=response.json()["id"]) if response.status_code == 202 else None
        return response, job

    return call


def pos(site, project_name=None):
    """The Purchase Orders in the double that are not cancelled."""
    return [d for d in site.docs("Purchase Order") if d["docstatus"] != 2]
