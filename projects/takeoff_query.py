"""How a takeoff is asked for: grouping, filters and paging, parsed once for the API and pages."""

from dataclasses import dataclass, field

from django.db.models import Q

from openaec.exceptions import ApplicationError
from openaec.parsers import whole_number

GROUP_FIELDS = (
    "ifc_class",
    "predefined_type",
    "type_name",
    "storey",
    "material",
    "layer",
    "source",
    "global_id",
)
DEFAULT_GROUP_BY = ("ifc_class", "type_name", "material")
FILTER_FIELDS = GROUP_FIELDS
EXACT_FILTERS = frozenset({"layer"})  # a number: "1" must not find layer 10
LAYER_SPLITTING = frozenset({"material", "layer"})
QUANTITIES = ("count", "length", "area", "volume", "weight")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
PAGING_PARAMS = frozenset({"page", "page_size"})
OTHER_PARAMS = frozenset({"group_by", "format", "against", "status"})
DIFF_STATUSES = ("added", "removed", "changed", "unchanged")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


@dataclass(frozen=True)
class TakeoffQuery:
    """A parsed takeoff request: group fields, filters ("contains"), page and page size."""

    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    exact: frozenset[str] = EXACT_FILTERS  # fields matched exactly (code asks for a storey)

    def as_q(self) -> Q:
        """The filters as one Q: case-insensitive "contains" ("wall" finds IfcWallStandardCase),
        the layer index (and the fields in ``exact``) exactly; a repeated parameter matches
        any of its values."""
        condition = Q()
        for name, values in self.filters.items():
            lookup = name if name in self.exact else f"{name}__icontains"
            either = Q()
            for value in values:
                either |= Q(**{lookup: value})
            condition &= either
        return condition

    @property
    def splits_layers(self) -> bool:
        """Lines are per material or layer (grouped or filtered so): layers keep their own
        length and area. Otherwise an element's length and area count once, not per layer
        (the rule of integrations.ifc.aggregate)."""
        return bool(LAYER_SPLITTING & (set(self.group_by) | set(self.filters)))


def parse_takeoff_query(params, *, allow: frozenset[str] = frozenset()) -> TakeoffQuery:
    """Parse query parameters (a QueryDict) into a TakeoffQuery, or raise a 400 naming the fault.

    Unknown parameters are refused: a mistyped filter must not silently return everything.
    """
    known = set(FILTER_FIELDS) | PAGING_PARAMS | OTHER_PARAMS | allow
    unknown = sorted(set(params.keys()) - known)
    if unknown:
        raise ApplicationError(
            f"Unknown query parameter(s): {', '.join(unknown)}. "
            f"Filters: {', '.join(FILTER_FIELDS)}; also group_by, page, page_size."
        )
    for value in params.getlist("layer"):
        if whole_number(value, max_digits=4) is None:
            raise ApplicationError(f"layer must be a layer index (0, 1, 2...), not {value!r}.")
    return TakeoffQuery(
        group_by=parse_group_by(",".join(params.getlist("group_by"))),
        filters={name: tuple(params.getlist(name)) for name in FILTER_FIELDS if name in params},
        page=_positive_int(params.get("page"), "page", default=1),
        page_size=_positive_int(
            params.get("page_size"), "page_size", default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE
        ),
    )


def parse_group_by(raw: str | None) -> tuple[str, ...]:
    """'ifc_class,material' -> ('ifc_class', 'material'); empty means the default grouping."""
    if raw is None or not raw.strip():
        return DEFAULT_GROUP_BY
    names = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [name for name in names if name not in GROUP_FIELDS]
    if unknown:
        raise ApplicationError(
            f"Cannot group by {', '.join(unknown)}: group_by takes {', '.join(GROUP_FIELDS)}."
        )
    return names or DEFAULT_GROUP_BY


def _positive_int(raw, name: str, *, default: int, maximum: int | None = None) -> int:
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    value = whole_number(text)
    if value is None or value < 1:
        raise ApplicationError(f"{name} must be a positive whole number, not {text[:40]!r}.")
    if maximum is not None and value > maximum:
        raise ApplicationError(f"{name} may be at most {maximum}.")
    return value


class PageNotFoundError(ApplicationError):
    """The page asked for is past the last page."""

    status_code = 404

    def __init__(self, page: int, pages: int) -> None:
        plural = "page" if pages == 1 else "pages"
        super().__init__(f"Page {page} does not exist: the takeoff has {pages} {plural}.")


def paginate(lines, query: TakeoffQuery) -> dict:
    """One page of a sliceable sequence with count(); a page past the end is a 404."""
    count = lines.count()
    pages = max(1, -(-count // query.page_size))
    if query.page > pages:
        raise PageNotFoundError(query.page, pages)
    start = (query.page - 1) * query.page_size
    return {
        "count": count,
        "pages": pages,
        "results": lines[start : start + query.page_size],
        "next": query.page + 1 if query.page < pages else None,
        "previous": query.page - 1 if query.page > 1 else None,
    }


def parse_flag(raw: str | None, name: str) -> bool:
    """A yes/no query parameter: 1/true/yes/on or 0/false/no/off (absent is no)."""
    text = (raw or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ApplicationError(f"{name} must be true or false (1 or 0), not {text[:40]!r}.")


def parse_diff_statuses(raw: str | None, *, unchanged: bool = False) -> set[str]:
    """'added,changed' -> {'added', 'changed'}; empty means every status but "unchanged",
    which only `unchanged` (?unchanged=1) or naming it adds: an unchanged line is noise."""
    if raw is None or not raw.strip():
        return set(DIFF_STATUSES) if unchanged else set(DIFF_STATUSES) - {"unchanged"}
    names = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = sorted(names - set(DIFF_STATUSES))
    if unknown:
        raise ApplicationError(
            f"Unknown status {', '.join(unknown)}: use {', '.join(DIFF_STATUSES)}."
        )
    return names | {"unchanged"} if unchanged else names
