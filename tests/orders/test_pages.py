"""The purchase-order page: works without JavaScript, through the same services as the API."""

import pytest
from django.test import Client

from jobs.models import Job
from tests.factories import PASSWORD
from tests.orders.conftest import connect, pos

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_project_navigation_links_the_page(buyer, project):
    response = signed_in(buyer).get(f"/projects/{project.slug}/bom")

    assert f'href="/projects/{project.slug}/purchase-orders"' in response.content.decode()


def test_preview_asks_for_a_supplier_then_create_places_the_orders(
    site, buyer, project, ready, django_capture_on_commit_callbacks
):
    client = signed_in(buyer)
    form = {"model_version": ready.number, "doctype": "Purchase Order", "delivery": "project"}

    first = client.post(f"/projects/{project.slug}/purchase-orders/preview", form)
    html = first.content.decode()
    assert first.status_code == 200
    assert 'id="problems"' in html and 'name="supplier__DOOR-90"' in html
    assert 'id="create"' not in html

    form["supplier__DOOR-90"] = "Door Co"
    second = client.post(f"/projects/{project.slug}/purchase-orders/preview", form)
    assert 'id="create"' in second.content.decode()
    assert "rounded up from 8.333" in second.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(f"/projects/{project.slug}/purchase-orders/create", form)

    job = Job.objects.get(kind="purchase_orders")
    assert created.status_code == 302 and created["Location"] == f"/jobs/{job.pk}"
    page = client.get(created["Location"]).content.decode()
    assert 'id="orders"' in page and "Door Co" in page
    assert len(pos(site)) == 3
    history = client.get(f"/projects/{project.slug}/purchase-orders").content.decode()
    assert "v1" in history and pos(site)[0]["name"] in history


def test_a_project_viewer_sees_the_history_but_may_not_preview(
    site, project, project_viewer_global_editor, ready
):
    connect(project_viewer_global_editor, site)
    client = signed_in(project_viewer_global_editor)

    page = client.get(f"/projects/{project.slug}/purchase-orders")
    refused = client.post(
        f"/projects/{project.slug}/purchase-orders/preview", {"model_version": ready.number}
    )

    assert page.status_code == 200 and 'id="order-form"' not in page.content.decode()
    assert refused.status_code == 403
