"""The takeoff lines that BOMs, orders and the cost estimate map: a storey is matched exactly,
so orders per storey never take another storey's quantities."""

import pytest

from bom.selectors import takeoff_mapping_lines
from projects.models import TakeoffElement
from tests.bom.conftest import make_version

pytestmark = pytest.mark.django_db


def test_a_storey_is_matched_exactly_not_as_a_search(project):
    version = make_version(project, [("IfcWall", "Wall", "Brick", 3, None, None, 3.0, None)])
    for element, storey in zip(
        TakeoffElement.objects.order_by("global_id"), ("Level 1", "Level 10", "")
    ):
        element.storey = storey
        element.save(update_fields=["storey"])

    def volume(storey):
        return sum(line.volume for line in takeoff_mapping_lines(version=version, storey=storey))

    assert volume("Level 1") == pytest.approx(1.0)
    assert volume("") == pytest.approx(1.0)
    assert volume(None) == pytest.approx(3.0)
