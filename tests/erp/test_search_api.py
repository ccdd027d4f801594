"""GET /api/erpnext/projects: the acting user's ERPNext Projects, every page read."""

import json

import pytest

from erp.services import links as link_services


def add_projects(double, count: int, prefix: str = "Tower") -> list[str]:
    return [
        double.add_doc("Project", {"project_name": f"{prefix} {i}"})["name"] for i in range(count)
    ]


@pytest.fixture
def searcher(erp, connect, editor):
    return connect(editor, erp)


def test_search_reads_every_erpnext_page_and_pages_its_answer(
    erp, searcher, api_client_for, monkeypatch
):
    names = add_projects(erp, 45)
    monkeypatch.setattr(link_services, "SEARCH_READ_PAGE_SIZE", 20)
    client = api_client_for(searcher)

    pages = [
        client.get("/api/erpnext/projects", {"page": page, "page_size": 20}).json()
        for page in (1, 2, 3)
    ]

    assert [p["count"] for p in pages] == [45, 45, 45]
    assert [len(p["results"]) for p in pages] == [20, 20, 5]
    assert [row["name"] for p in pages for row in p["results"]] == sorted(names)
    lists = [r for r in erp.requests if r.path == "/api/resource/Project"]
    # Frappe answers 20 rows unless told: each call says how many, and paging goes on.
    assert [r.param("limit_start") for r in lists][:3] == ["0", "20", "40"]
    assert all(r.param("limit_page_length") == "20" for r in lists)


def test_search_answers_the_documented_shape(erp, searcher, api_client_for):
    erp.add_doc("Project", {"project_name": "Depot", "expected_start_date": "2025-03-01"})

    body = api_client_for(searcher).get("/api/erpnext/projects").json()

    assert body["erpnext_site"] == erp.url
    assert (body["count"], body["page"], body["page_size"], body["truncated"]) == (1, 1, 20, False)
    (row,) = body["results"]
    assert row["name"] == "PROJ-0001"
    assert row["project_name"] == "Depot"
    assert row["status"] == "Open"
    assert row["expected_start_date"] == "2025-03-01"
    assert row["company"] == "OpenAEC Demo"
    assert row["linked"] is False
    assert row["modified"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tower 1", ["PROJ-0002", "PROJ-0011", "PROJ-0012"]),  # titles, case-insensitive
        ("PROJ-001", ["PROJ-0010", "PROJ-0011", "PROJ-0012", "PROJ-0013"]),  # IDs
        ("unrel", ["PROJ-0013"]),
        ("nothing like it", []),
    ],
)
def test_search_filters_by_id_or_title(erp, searcher, api_client_for, q, expected):
    add_projects(erp, 12)
    erp.add_doc("Project", {"project_name": "Unrelated"})

    body = api_client_for(searcher).get("/api/erpnext/projects", {"q": q}).json()

    assert [row["name"] for row in body["results"]] == expected
    filters = [json.loads(r.param("filters")) for r in erp.requests if r.param("filters")]
    if q:
        assert {"name": ["like", f"%{q}%"]} in filters
        assert {"project_name": ["like", f"%{q}%"]} in filters


def test_search_marks_projects_already_linked(erp, linked, api_client_for):
    erp.add_doc("Project", {"project_name": "Second"})

    body = api_client_for(linked.linked_by).get("/api/erpnext/projects").json()

    assert {row["name"]: row["linked"] for row in body["results"]} == {
        "PROJ-0001": True,
        "PROJ-0002": False,
    }


def test_search_answers_with_and_without_trailing_slash(erp, searcher, api_client_for):
    client = api_client_for(searcher)

    assert client.get("/api/erpnext/projects/").status_code == 200
    assert client.get("/api/erpnext/projects").status_code == 200


@pytest.mark.parametrize("params", [{"page": "0"}, {"page_size": "101"}, {"page": "x"}])
def test_search_refuses_bad_paging(erp, searcher, api_client_for, params):
    response = api_client_for(searcher).get("/api/erpnext/projects", params)

    assert response.status_code == 400
    assert "page" in response.json()["detail"]
    assert erp.requests == []


def test_search_without_credentials_is_400(erp, editor, api_client_for):
    response = api_client_for(editor).get("/api/erpnext/projects")

    assert response.status_code == 400
    assert response.json() == {"detail": "ERPNext credentials not configured"}


def test_search_is_refused_to_viewers(erp, connect, viewer, api_client_for):
    connect(viewer, erp)

    response = api_client_for(viewer).get("/api/erpnext/projects")

    assert response.status_code == 403
    assert erp.requests == []


def test_search_needs_authentication(erp, api_client_for):
    assert api_client_for(None).get("/api/erpnext/projects").status_code == 401


def test_search_matches_percent_and_underscore_literally(erp, searcher, api_client_for):
    """Issue 8 #9: `%` and `_` typed by the user were LIKE wildcards and matched everything."""
    erp.add_doc("Project", {"project_name": "100% Beton"})
    erp.add_doc("Project", {"project_name": "1000 Tower"})
    erp.add_doc("Project", {"project_name": "Site_A"})
    erp.add_doc("Project", {"project_name": "SiteBA"})
    client = api_client_for(searcher)

    percent = client.get("/api/erpnext/projects", {"q": "100%"}).json()["results"]
    underscore = client.get("/api/erpnext/projects", {"q": "e_A"}).json()["results"]

    assert [row["project_name"] for row in percent] == ["100% Beton"]
    assert [row["project_name"] for row in underscore] == ["Site_A"]


def test_search_finds_and_shows_titles_erpnext_stored_escaped(erp, searcher, api_client_for):
    erp.add_doc("Project", {"project_name": "Haus A&B <Nord>"})

    results = (
        api_client_for(searcher).get("/api/erpnext/projects", {"q": "A&B <N"}).json()["results"]
    )

    assert [row["project_name"] for row in results] == ["Haus A&B <Nord>"]
