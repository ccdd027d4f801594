"""Constants of the BOM sync: quantity kinds, ERPNext defaults, limits."""

QUANTITY_KINDS = ("count", "length", "area", "volume", "weight")
# Takeoff quantities are SI: count in pieces, length m, area m², volume m³, weight kg.
SI_UNITS = {"count": "pcs", "length": "m", "area": "m²", "volume": "m³", "weight": "kg"}

QTY_DECIMALS = 3  # ERPNext's default float precision; quantities are sent and compared at it
MAX_WASTE_FACTOR = 1  # 0.05 adds 5 %; 1 doubles the quantity
MAX_PATTERN_LENGTH = 255
MAX_NAME_LENGTH = 140  # Frappe's limit for a document name (Item code, UOM, BOM...)

DEFAULT_ITEM_GROUP = "All Item Groups"
DEFAULT_RM_COST_AS_PER = "Valuation Rate"
ASSEMBLY_ITEM_PREFIX = "BIM-"

# How many ERPNext Items the suggestions look at, at most (paged 500 at a time).
SUGGESTION_ITEM_LIMIT = 20_000
SUGGESTIONS_PER_LINE = 3

BOM_SYNC = "bom_sync"  # the job kind of a BOM sync
