"""Constants of the BOM sync: quantity kinds, ERPNext defaults, limits."""

from projects.takeoff_query import QUANTITIES as QUANTITY_KINDS  # noqa: F401  (one list)

# Takeoff quantities are SI: count in pieces, length m, area m², volume m³, weight kg. A stock
# UOM with one of these names (case-insensitive) measures the takeoff's own unit, so a row can
# be converted to it without a factor from ERPNext.
SI_UOMS = {
    "count": ("nos", "unit", "units", "pcs", "piece", "pieces", "each", "ea"),
    "length": ("m", "meter", "metre"),
    "area": ("m²", "m2", "sqm", "square meter", "square metre"),
    "volume": ("m³", "m3", "cbm", "cubic meter", "cubic metre"),
    "weight": ("kg", "kilogram"),
}
# UOMs ERPNext ships with "Must be Whole Number" set: assumed when the user may not read UOM.
ERPNEXT_WHOLE_NUMBER_UOMS = ("Box", "Nos", "Pair", "Set", "Unit")

QTY_DECIMALS = 3  # ERPNext's default float precision; quantities are sent and compared at it
MAX_WASTE_FACTOR = 1  # 0.05 adds 5 %; 1 doubles the quantity
MAX_PATTERN_LENGTH = 255
MAX_NAME_LENGTH = 140  # Frappe's limit for a document name (Item code, UOM, BOM...)

DEFAULT_ITEM_GROUP = "All Item Groups"
DEFAULT_RM_COST_AS_PER = "Valuation Rate"
# Rates set on mapping rules reach ERPNext as Item Prices on a buying price list, costed with
# rm_cost_as_per "Price List" (ERPNext recomputes every BOM rate from rm_cost_as_per).
PRICE_LIST_COSTING = "Price List"
DEFAULT_PRICE_LIST = "Standard Buying"  # Buying Settings' default list on a fresh site
ASSEMBLY_ITEM_PREFIX = "BIM-"

# How many ERPNext Items the suggestions look at, at most (paged 500 at a time).
SUGGESTION_ITEM_LIMIT = 20_000
SUGGESTIONS_PER_LINE = 3

BOM_SYNC = "bom_sync"  # the job kind of a BOM sync

# Which value a BOM (or an order) takes where the takeoff flagged an exported volume or area as
# larger than the body can hold: the mesh's measured one by default (a value the body cannot
# hold is no quantity to buy), or the exported one. The preview shows both either way.
IMPLAUSIBLE_MEASURED = "measured"
IMPLAUSIBLE_EXPORTED = "exported"
IMPLAUSIBLE_CHOICES = (IMPLAUSIBLE_MEASURED, IMPLAUSIBLE_EXPORTED)


class Outcome:
    """How a sync ended (the values of BomSyncRun.outcome), for the code that knows no models."""

    CREATED = "created"
    UPDATED = "updated"
    SUBMITTED = "submitted"
    DEFAULTED = "made_default"
    UNCHANGED = "unchanged"
