"""openaec.api.validated: the one body validator every API view uses."""

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from openaec.api import ClosedSerializer, validated
from openaec.exceptions import ApplicationError


class Body(serializers.Serializer):
    name = serializers.CharField(max_length=20)
    email = serializers.EmailField(required=False)
    count = serializers.IntegerField(required=False, default=1)


@pytest.mark.parametrize("value", [123, 1.5, True, ["a"], {"a": 1}])
def test_a_number_or_structure_where_a_string_is_expected_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        validated(Body, {"name": value})
    assert caught.value.detail == {"name": ["Must be a string."]}


class ClosedBody(ClosedSerializer):
    name = serializers.CharField(max_length=20)
    ignored_fields = ("role",)


def test_a_closed_serializer_refuses_unknown_fields_by_name():
    assert validated(Body, {"name": "a", "colour": "red"}) == {"name": "a", "count": 1}
    with pytest.raises(ApplicationError) as caught:
        validated(ClosedBody, {"name": "a", "colour": "red", "size": 2})
    assert caught.value.message == "Unknown fields: colour, size"


def test_ignored_fields_are_dropped_not_refused():
    assert validated(ClosedBody, {"name": "a", "role": 7}) == {"name": "a"}


def test_only_sent_leaves_absent_fields_absent():
    assert validated(Body, {"name": "a"}, only_sent=True) == {"name": "a"}


@pytest.mark.parametrize("body", [[], "text", 3, None])
def test_a_body_that_is_not_an_object_is_refused(body):
    with pytest.raises(ApplicationError):
        validated(Body, body)


@pytest.mark.django_db
def test_an_api_door_refuses_an_integer_for_a_string(api_client_for, editor):
    # projects' create door goes through validated(); DRF alone would store "123".
    response = api_client_for(editor).post("/api/projects", {"name": 123}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Must be a string."]}
