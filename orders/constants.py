"""Constants of purchase orders from the takeoff."""

PURCHASE_ORDERS = "purchase_orders"  # the job kind
PURCHASE_ORDER = "Purchase Order"
MATERIAL_REQUEST = "Material Request"
DOCTYPES = (PURCHASE_ORDER, MATERIAL_REQUEST)

DELIVERY_PROJECT = "project"  # one order per supplier
DELIVERY_STOREY = "storey"  # one order per supplier and storey
DELIVERIES = (DELIVERY_PROJECT, DELIVERY_STOREY)
DEFAULT_LEAD_DAYS = 14  # required-by date when none is given

# The marker a run writes into each document's title (PO and MR both have a free `title` that
# a Purchase User may write without a Custom Field; PO has no `remarks`), looked up before
# each insert: "BIM-<10 hex of the job id>-<order number>".
MARKER_PREFIX = "BIM-"
MARKER_HEX = 10
TITLE_MAX = 140  # Frappe's Data field length

# Roles ERPNext asks for what a Purchase User may not do (purchasing-and-costs.md, section 11).
ROLE_ITEM = "Item Manager"
ROLE_SUPPLIER = "Purchase Master Manager"
ROLE_BUDGET = "Accounts Manager (or Accounts User)"
ROLE_ITEM_PRICE = "Purchase Master Manager"

RATE_PRICE_LIST = "price_list"
RATE_LAST_PURCHASE = "last_purchase_rate"
RATE_RULE = "rule"
RATE_NONE = "none"
RATE_SOURCES = {
    RATE_PRICE_LIST: "the Item's price on {price_list}",
    RATE_LAST_PURCHASE: "the Item's last purchase rate",
    RATE_RULE: "the mapping rule's rate",
    RATE_NONE: "no rate known: ERPNext applies {price_list} itself (0 if it has no price)",
}
