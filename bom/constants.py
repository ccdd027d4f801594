"""Constants of the BOM sync: quantity kinds, ERPNext defaults, limits."""

from projects.takeoff_query import QUANTITIES as QUANTITY_KINDS  # noqa: F401  (one list)

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

# A queued or running sync that has not moved for this long is taken as abandoned.
STALE_RUN_SECONDS = 15 * 60
