"""ERPNext's doctypes for FrappeDouble, declared in one place: their fields' rules, role
permissions and behaviour (validate/on_submit hooks), as ERPNext 15 has them.

What each follows, by ERPNext source and by ../shared/erpnext-real (the recorded site):

* Item (stock/doctype/item/item.py): item_name/description default to the code, stock_uom to
  Nos, the stock-UOM row is appended to ``uoms``, the global UOM Conversion Factor table
  overrides a factor it knows, ``item_defaults`` get the default warehouse.
* BOM (manufacturing/doctype/bom/bom.py): rows take uom/stock_uom from the Item,
  ``conversion_factor`` 1.0 when not sent (even in another UOM), ``stock_qty`` = qty x factor,
  qty 0 becomes 1; rates recomputed from ``rm_cost_as_per`` (Valuation Rate: the Item's
  ``valuation_rate`` else 0 with an alert; Last Purchase Rate; Price List: Item Prices of
  ``buying_price_list``; Manual: as sent); totals; manage_default_bom on submit/cancel.
* Purchase Order / Material Request (controllers/buying_controller.py): a row without uom is
  in the Item's purchase UOM, factors from the Item's ``uoms`` or the global table or 1.0,
  whole-number checks on qty and stock_qty, price list rates, Item Prices added with an alert,
  supplier from item defaults, budget checks on submit.
* Budget (accounts/doctype/budget/budget.py), Item Price, Purchase Invoice, Supplier.

``register_erpnext(double)`` declares them; ``seed_recorded_site(double)`` fills the master
data of the recorded site; ``recorded_site()`` builds a double like that site, with the
System Manager and the restricted API users.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping
from typing import Any

from tests.erpnext_double.frappe_double import DocTypeSpec, FrappeDouble, FrappeException

ERPNEXT = "erpnext (app)"  # _exc_source of errors raised in ERPNext code

# The recorded site (../shared/erpnext-real/README.md, section 0).
SITE_COMPANY = "Bridge Test Co"
SITE_ABBR = "BTC"
ADMIN_USER = "bridge.admin@example.com"
RESTRICTED_USER = "bridge.restricted@example.com"
ADMIN_KEY, ADMIN_SECRET = "bridge-admin-key", "bridge-admin-secret"
RESTRICTED_KEY, RESTRICTED_SECRET = "bridge-restricted-key", "bridge-restricted-secret"
RESTRICTED_ROLES = ("Projects User", "Manufacturing User", "Purchase User")
WHOLE_NUMBER_UOMS = ("Unit", "Box", "Nos", "Pair", "Set")
SITE_UOMS = (
    *WHOLE_NUMBER_UOMS,
    "Abampere",
    "Kg",
    "Gram",
    "Tonne",
    "Meter",
    "Square Meter",
    "Cubic Meter",
    "Litre",
    "Hour",
    "Day",
    "Centimeter",
    "Millimeter",
)
# The global UOM Conversion Factor table (from -> to: factor), where the site has the pair.
UOM_FACTORS = {
    ("Tonne", "Kg"): 1000.0,
    ("Gram", "Kg"): 0.001,
    ("Kg", "Gram"): 1000.0,
    ("Kg", "Tonne"): 0.001,
    ("Meter", "Centimeter"): 100.0,
    ("Centimeter", "Meter"): 0.01,
    ("Meter", "Millimeter"): 1000.0,
    ("Millimeter", "Meter"): 0.001,
}
ITEM_GROUPS = ("Products", "Raw Material", "Services", "Sub Assemblies", "Consumable")
WAREHOUSES = ("Stores", "Work In Progress", "Finished Goods", "Goods In Transit")
SUPPLIER_GROUPS = (
    "Services",
    "Local",
    "Raw Material",
    "Electrical",
    "Hardware",
    "Pharmaceutical",
    "Distributor",
)
# (name, parent, is_group, root_type, account_type); a part of the "Standard" chart.
ACCOUNTS = (
    ("Application of Funds (Assets)", "", 1, "Asset", ""),
    ("Current Assets", "Application of Funds (Assets)", 1, "Asset", ""),
    ("Cash In Hand", "Current Assets", 1, "Asset", "Cash"),
    ("Cash", "Cash In Hand", 0, "Asset", "Cash"),
    ("Stock In Hand", "Current Assets", 0, "Asset", "Stock"),
    ("Source of Funds (Liabilities)", "", 1, "Liability", ""),
    ("Creditors", "Source of Funds (Liabilities)", 0, "Liability", "Payable"),
    ("Stock Received But Not Billed", "Source of Funds (Liabilities)", 0, "Liability", ""),
    ("Expenses", "", 1, "Expense", ""),
    ("Direct Expenses", "Expenses", 1, "Expense", ""),
    ("Cost of Goods Sold", "Direct Expenses", 0, "Expense", "Cost of Goods Sold"),
    ("Stock Adjustment", "Direct Expenses", 0, "Expense", "Stock Adjustment"),
    ("Indirect Expenses", "Expenses", 1, "Expense", ""),
    ("Administrative Expenses", "Indirect Expenses", 0, "Expense", ""),
    ("Income", "", 1, "Income", ""),
    ("Sales", "Income", 0, "Income", ""),
)

# Role permissions (the doctypes' JSON permissions, as the restricted user met them).
EVERYONE = ("All",)
READ_ALL = {"read": EVERYONE}
MANUFACTURING = ("Manufacturing User", "Manufacturing Manager")
BUYING = ("Purchase User", "Purchase Manager")
ACCOUNTS_ROLES = ("Accounts User", "Accounts Manager")


def _all_ops(roles: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {op: roles for op in ("read", "create", "write", "submit", "cancel", "delete")}


PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "UOM": {
        "read": ("Item Manager", "Stock Manager", "Stock User"),
        **{op: ("Item Manager", "Stock Manager") for op in ("create", "write", "delete")},
    },
    "Item": {
        "read": (
            "Item Manager",
            "Stock Manager",
            "Stock User",
            "Sales User",
            "Purchase User",
            "Manufacturing User",
            "Accounts User",
            "Projects User",
        ),
        **{op: ("Item Manager",) for op in ("create", "write", "delete")},
    },
    "Supplier": {
        "read": ("Purchase User", "Purchase Manager", "Purchase Master Manager", "Stock User"),
        **{op: ("Purchase Master Manager",) for op in ("create", "write", "delete")},
    },
    "Project": _all_ops(("Projects User", "Projects Manager")),
    "BOM": _all_ops(MANUFACTURING),
    "Purchase Order": _all_ops(BUYING),
    "Material Request": _all_ops((*BUYING, "Stock User", "Manufacturing User")),
    "Budget": {"read": ("Accounts Manager",), **_all_ops(("Accounts Manager",))},
    "Purchase Invoice": {**_all_ops(ACCOUNTS_ROLES), "read": (*ACCOUNTS_ROLES, *BUYING)},
    # erpnext/accounts/doctype/gl_entry/gl_entry.json: read by Accounts roles only (B9.3)
    "GL Entry": {"read": (*ACCOUNTS_ROLES, "Auditor")},
    # erpnext/stock/doctype/item_price/item_price.json
    "Item Price": _all_ops(("Sales Master Manager", "Purchase Master Manager")),
}
for _doctype in (
    "Company",
    "Item Group",
    "Warehouse",
    "Account",
    "Fiscal Year",
    "Supplier Group",
    "Cost Center",
    "Price List",
):
    PERMISSIONS[_doctype] = dict(READ_ALL)


# ---------------------------------------------------------------------- helpers


def _float(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _item(double: FrappeDouble, code: Any) -> dict[str, Any]:
    """The Item of a row, or 404 as frappe.get_cached_doc raises it (no traceback keys)."""
    item = double._store["Item"].get(str(code)) if code not in (None, "") else None
    if item is None:
        raise FrappeException("DoesNotExistError", f"Item {code} not found", 404, bare=True)
    return item


def _company(double: FrappeDouble, name: Any) -> dict[str, Any]:
    return double._store["Company"].get(str(name or double.company)) or {}


def _is_whole(double: FrappeDouble, uom: Any) -> bool:
    doc = double._store["UOM"].get(str(uom))
    return bool(doc and doc.get("must_be_whole_number"))


def _check_whole(double: FrappeDouble, rows: list[dict[str, Any]], qty: str, uom: str) -> None:
    """erpnext.utilities.transaction_base.validate_uom_is_integer."""
    for idx, row in enumerate(rows, start=1):
        value = round(_float(row.get(qty)), 3)
        if _is_whole(double, row.get(uom)) and value != int(value):
            raise FrappeException(
                "UOMMustBeIntegerError",
                f"Row {idx}: Quantity ({value}) cannot be a fraction. To allow this, disable "
                f"'<strong>Must be Whole Number</strong>' in UOM <strong>{row.get(uom)}</strong>.",
                source=ERPNEXT,
            )


def global_factor(from_uom: str, to_uom: str) -> float | None:
    """The site's UOM Conversion Factor for a pair, if it has one."""
    if from_uom == to_uom:
        return 1.0
    return UOM_FACTORS.get((from_uom, to_uom))


def item_factor(item: Mapping[str, Any], uom: str) -> float | None:
    """The factor of ``uom`` in the Item's ``uoms`` table, else the global table's."""
    if uom == item.get("stock_uom"):
        return 1.0
    for row in item.get("uoms") or []:
        if row.get("uom") == uom and _float(row.get("conversion_factor")):
            return _float(row.get("conversion_factor"))
    return global_factor(uom, str(item.get("stock_uom")))


def item_price(double: FrappeDouble, item: Mapping[str, Any], price_list: str, uom: str) -> float:
    """price_list_rate per ``uom``: a price in that UOM, else the stock-UOM price x factor,
    rounded to 2 decimals (a Gram row of a 0.5/Kg price is 0.0)."""
    prices = [
        p
        for p in double._store.get("Item Price", {}).values()
        if p.get("item_code") == item["name"] and p.get("price_list") == price_list
    ]
    prices.sort(key=lambda p: p.get("supplier") or "")  # the plain price before supplier ones
    for price in prices:
        if price.get("uom") == uom:
            return round(_float(price.get("price_list_rate")), 2)
    factor = item_factor(item, uom) or 1.0
    for price in prices:
        if price.get("uom") in (None, "", item.get("stock_uom")):
            return round(_float(price.get("price_list_rate")) * factor, 2)
    return 0.0


def _money(value: float) -> str:
    return f"$ {value:,.2f}"


# ---------------------------------------------------------------------- Item


def item_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """Item.validate: defaults, the uoms table, item defaults, name against item groups."""
    code = doc.get("item_code")
    if previous is None and code in double._store["Item Group"]:
        raise FrappeException(
            "ValidationError",
            "An Item Group exists with same name, please change the item name or rename the "
            "item group",
        )
    doc["item_name"] = doc.get("item_name") or code
    doc["description"] = doc.get("description") or doc["item_name"]
    if not doc.get("stock_uom") and "Nos" in double._store["UOM"]:
        doc["stock_uom"] = "Nos"
    for key in ("valuation_rate", "standard_rate", "last_purchase_rate", "opening_stock"):
        doc[key] = _float(doc.get(key))
    for key in ("is_stock_item", "include_item_in_manufacturing", "is_purchase_item"):
        doc[key] = int(doc[key]) if doc.get(key) not in (None, "") else 1
    stock_uom = doc.get("stock_uom")
    rows = [dict(r) for r in doc.get("uoms") or [] if isinstance(r, dict)]
    seen: set[str] = set()
    for idx, row in enumerate(rows, start=1):
        uom = str(row.get("uom") or "")
        if uom in seen:
            raise FrappeException(
                "ValidationError",
                f"Unit of Measure {uom} has been entered more than once in Conversion Factor Table",
                source=ERPNEXT,
            )
        seen.add(uom)
        factor = _float(row.get("conversion_factor"))
        if uom == stock_uom and factor != 1:
            raise FrappeException(
                "ValidationError",
                f"Conversion factor for default Unit of Measure must be 1 in row {idx}",
                source=ERPNEXT,
            )
        known = global_factor(uom, str(stock_uom))
        row["conversion_factor"] = known if known is not None and factor else factor
    if stock_uom and stock_uom not in seen:
        rows.append({"uom": stock_uom, "conversion_factor": 1.0})
    doc["uoms"] = rows
    defaults = [dict(r) for r in doc.get("item_defaults") or [] if isinstance(r, dict)]
    warehouse = double.settings.get("default_warehouse")
    if not defaults and warehouse:
        defaults = [{"company": double.company}]
    companies = [r.get("company") or double.company for r in defaults]
    if len(set(companies)) != len(companies):
        raise FrappeException(
            "ValidationError", "Cannot set multiple Item Defaults for a company.", source=ERPNEXT
        )
    for row in defaults:
        row["company"] = row.get("company") or double.company
        if warehouse and not row.get("default_warehouse"):
            row["default_warehouse"] = warehouse
    doc["item_defaults"] = defaults


# ---------------------------------------------------------------------- BOM


def bom_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """BOM.validate: rows from their Items, quantities, rates per rm_cost_as_per, totals."""
    rows = doc.get("items")
    if not rows:
        raise FrappeException("ValidationError", "Raw Materials cannot be blank.", source=ERPNEXT)
    for row in rows:
        if isinstance(row, dict) and row.get("item_code") == doc.get("item"):
            _bom_recursion(double, doc)
    fg = double._store["Item"].get(str(doc.get("item")))
    if fg is not None:
        doc["item_name"] = fg.get("item_name")
        doc["description"] = doc.get("description") or fg.get("description")
        doc["uom"] = fg.get("stock_uom")
    company = _company(double, doc.get("company"))
    doc["quantity"] = _float(doc.get("quantity")) or 1.0
    doc["currency"] = doc.get("currency") or company.get("default_currency")
    if doc.get("conversion_rate") in (None, "", 0):
        same = doc["currency"] == company.get("default_currency")
        doc["conversion_rate"] = 1.0 if same else 0.0  # no exchange-rate source on the site
    doc["conversion_rate"] = _float(doc["conversion_rate"])
    doc["plc_conversion_rate"] = _float(doc.get("plc_conversion_rate")) or 1.0
    doc["buying_price_list"] = doc.get("buying_price_list") or "Standard Buying"
    basis = doc.get("rm_cost_as_per") or "Valuation Rate"
    doc["rm_cost_as_per"] = basis
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise FrappeException("ValidationError", "Row: invalid row")
        row = dict(row)
        item = _item(double, row.get("item_code"))
        row["item_name"] = row.get("item_name") or item.get("item_name")
        row["description"] = row.get("description") or item.get("description")
        row["stock_uom"] = item.get("stock_uom")
        row["uom"] = row.get("uom") or item.get("stock_uom")
        row["is_stock_item"] = item.get("is_stock_item", 1)
        # bom.py validate_materials / set_bom_material_details: a factor that was not sent
        # is 1.0 whatever the UOM; ERPNext does not look it up in the Item's uoms.
        row["conversion_factor"] = _float(row.get("conversion_factor")) or 1.0
        row["qty"] = _float(row.get("qty")) or 1.0
        row["stock_qty"] = row["qty"] * row["conversion_factor"]
        row["rate"] = _bom_rate(double, doc, item, row, basis)
        row["base_rate"] = row["rate"] * doc["conversion_rate"]
        row["amount"] = row["rate"] * row["qty"]
        row["base_amount"] = row["base_rate"] * row["qty"]
        row["qty_consumed_per_unit"] = row["stock_qty"] / doc["quantity"]
        out.append(row)
    doc["items"] = out
    _check_whole(double, out, "qty", "uom")
    _check_whole(double, out, "stock_qty", "stock_uom")
    raw = sum(r["amount"] for r in out)
    doc.update(
        raw_material_cost=raw,
        base_raw_material_cost=raw * doc["conversion_rate"],
        operating_cost=0.0,
        base_operating_cost=0.0,
        scrap_material_cost=0.0,
        base_scrap_material_cost=0.0,
        total_cost=raw,
        base_total_cost=raw * doc["conversion_rate"],
    )


def _bom_rate(
    double: FrappeDouble,
    bom: Mapping[str, Any],
    item: Mapping[str, Any],
    row: Mapping[str, Any],
    basis: str,
) -> float:
    """BOM.get_rm_rate: a rate per row UOM (per stock UOM x factor), alerts when none."""
    if basis == "Manual":
        return _float(row.get("rate"))
    factor = row["conversion_factor"]
    if basis == "Price List":
        rate = item_price(double, item, str(bom.get("buying_price_list")), str(row["uom"]))
        if not rate:
            double.msgprint(
                f"Price not found for item {item['name']} in price list "
                f"{bom.get('buying_price_list')}",
                alert=True,
            )
        return rate
    per_stock = _float(
        item.get("last_purchase_rate")
        if basis == "Last Purchase Rate"
        else item.get("valuation_rate")
    )
    if not per_stock and basis == "Valuation Rate":
        double.msgprint(f"Valuation Rate not found for item {item['name']}", alert=True)
    conversion = _float(bom.get("conversion_rate")) or 1.0
    return per_stock * factor / conversion


def _bom_recursion(double: FrappeDouble, doc: Mapping[str, Any]) -> None:
    """BOM.check_recursion: the finished good used as its own raw material."""
    item = str(doc.get("item"))
    existing = double._store["Item"].get(item, {}).get("default_bom") or doc.get("name")
    raise FrappeException(
        "BOMRecursionError",
        f"BOM recursion: {existing} cannot be parent or child of {doc.get('name')}<br><br>"
        "Note: If you want to use the finished good <strong>"
        f"{html.escape(item)}</strong> as a raw material, then enable the 'Do Not Explode' "
        "checkbox in the Items table against the same raw material.",
        source=ERPNEXT,
    )


def manage_default_bom(
    double: FrappeDouble, bom: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """BOM.manage_default_bom: one default per item, kept in Item.default_bom (db_set:
    ``modified`` of the other BOMs is kept)."""
    name, item_code = bom["name"], bom["item"]
    others = [
        b for b in double._store["BOM"].values() if b["item"] == item_code and b["name"] != name
    ]
    has_item = item_code in double._store["Item"]
    if bom.get("is_default") and bom.get("is_active"):
        for other in others:
            if other.get("is_default"):
                double.patch_doc("BOM", other["name"], is_default=0)
        if has_item:
            double.patch_doc("Item", item_code, default_bom=name)
    elif bom.get("is_active") and not any(
        b["docstatus"] == 1 and b.get("is_default") for b in others
    ):
        double.patch_doc("BOM", name, is_default=1)
        if has_item:
            double.patch_doc("Item", item_code, default_bom=name)
    else:
        double.patch_doc("BOM", name, is_default=0)
        if has_item and double._store["Item"][item_code].get("default_bom") == name:
            double.patch_doc("Item", item_code, default_bom=None)


def bom_on_cancel(
    double: FrappeDouble, bom: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """BOM.on_cancel: inactive, not default."""
    bom = double.patch_doc("BOM", bom["name"], is_active=0, is_default=0)
    manage_default_bom(double, bom, user, previous)


# ---------------------------------------------------------------------- buying


def buying_validate(
    double: FrappeDouble,
    doc: dict[str, Any],
    user: str,
    previous: Mapping[str, Any] | None,
    doctype: str = "Material Request",
) -> None:
    """BuyingController.validate for Purchase Order and Material Request rows."""
    is_po = doctype == "Purchase Order"
    rows = doc.get("items")
    if rows is None or rows == []:
        if is_po:  # a real ERPNext bug: 500 TypeError (README, section 2)
            raise FrappeException(
                "TypeError",
                "unsupported operand type(s) for *: 'NoneType' and 'float'",
                500,
                thrown=False,
                source=ERPNEXT,
                exception="",
            )
        raise FrappeException("MandatoryError", "items", messages=[], plain=True)
    company = _company(double, doc.get("company"))
    today = dt.date.today().isoformat()
    date_key = "transaction_date"
    doc[date_key] = doc.get(date_key) or today
    out = []
    for row in rows:
        row = dict(row)
        item = _item(double, row.get("item_code"))
        row["item_name"] = row.get("item_name") or item.get("item_name")
        row["description"] = row.get("description") or item.get("description")
        row["stock_uom"] = item.get("stock_uom")
        # A row without uom is in the purchase UOM (purchasing-and-costs.md 3.1, row a/f).
        row["uom"] = row.get("uom") or item.get("purchase_uom") or item.get("stock_uom")
        sent = _float(row.get("conversion_factor"))
        row["conversion_factor"] = sent or item_factor(item, row["uom"]) or 1.0
        row["qty"] = _float(row.get("qty"))
        row["stock_qty"] = row["qty"] * row["conversion_factor"]
        defaults = (item.get("item_defaults") or [{}])[0]
        row["warehouse"] = (
            row.get("warehouse")
            or defaults.get("default_warehouse")
            or double.settings.get("default_warehouse")
        )
        row["schedule_date"] = row.get("schedule_date") or doc.get("schedule_date")
        row["expense_account"] = row.get("expense_account") or company.get(
            "default_expense_account"
        )
        row["cost_center"] = row.get("cost_center") or company.get("cost_center")
        out.append(row)
    doc["items"] = out
    if is_po and not doc.get("supplier"):
        suppliers = [
            (double._store["Item"][r["item_code"]].get("item_defaults") or [{}])[0].get(
                "default_supplier"
            )
            for r in out
        ]
        doc["supplier"] = next((s for s in suppliers if s), None)
    dates = [r["schedule_date"] for r in out if r.get("schedule_date")]
    doc["schedule_date"] = doc.get("schedule_date") or (min(dates) if dates else None)
    for row in out:
        row["schedule_date"] = row.get("schedule_date") or doc["schedule_date"]
    if not doc.get("schedule_date"):
        raise FrappeException("ValidationError", "Please enter Reqd by Date", source=ERPNEXT)
    for idx, row in enumerate(out, start=1):
        if str(row["schedule_date"]) < str(doc[date_key]):
            raise FrappeException(
                "ValidationError",
                f"Row #{idx}: Reqd by Date cannot be before Transaction Date",
                source=ERPNEXT,
            )
    for idx, row in enumerate(out, start=1):
        if not row["qty"]:
            raise FrappeException(
                "InvalidQtyError",
                f"Row #{idx}: Quantity for Item <strong>{row['item_code']}</strong> cannot be "
                "zero.",
                title="Invalid Quantity",
                source=ERPNEXT,
            )
    _check_whole(double, out, "qty", "uom")
    _check_whole(double, out, "stock_qty", "stock_uom")
    if is_po:
        doc["currency"] = doc.get("currency") or company.get("default_currency")
        doc["conversion_rate"] = _float(doc.get("conversion_rate")) or 1.0
        doc["buying_price_list"] = doc.get("buying_price_list") or "Standard Buying"
        _price_rows(double, doc, user)  # before the supplier check: its alerts come first
        if doc.get("supplier") not in double._store["Supplier"]:
            if doc.get("supplier") is None:
                raise FrappeException(
                    "DoesNotExistError", "Supplier None not found", 404, bare=True
                )
            raise FrappeException(
                "ValidationError",
                f"Supplier: {doc.get('supplier')} does not exists",
                source=ERPNEXT,
            )
        doc["supplier_name"] = doc["supplier"]
        doc["title"] = doc.get("title") or "{supplier_name}"
    doc["status"] = (
        "Draft" if (previous is None or previous.get("docstatus") == 0) else doc.get("status")
    )


def _price_rows(double: FrappeDouble, doc: dict[str, Any], user: str) -> None:
    """Rates from the price list; an Item Price added (with an alert) where a rate was sent
    for an item with none, when the user may write Item Price."""
    price_list = str(doc["buying_price_list"])
    for row in doc["items"]:
        item = double._store["Item"][row["item_code"]]
        listed = item_price(double, item, price_list, str(row["uom"]))
        row["price_list_rate"] = listed
        sent = row.get("rate")
        row["rate"] = _float(sent) if sent not in (None, "") else listed
        row["discount_amount"] = round(listed - row["rate"], 2) if listed > row["rate"] else 0.0
        row["amount"] = row["rate"] * row["qty"]
        row["base_rate"] = row["rate"] * doc["conversion_rate"]
        row["base_amount"] = row["amount"] * doc["conversion_rate"]
        has_price = any(
            p.get("item_code") == item["name"] and p.get("price_list") == price_list
            for p in double._store["Item Price"].values()
        )
        if row["rate"] and not has_price and double.has_permission("Item Price", "create", user):
            double._insert(
                "Item Price",
                {
                    "item_code": item["name"],
                    "price_list": price_list,
                    "uom": item.get("stock_uom"),
                    "price_list_rate": row["rate"] / row["conversion_factor"],
                },
                user,
            )
            double.msgprint(
                f"Item Price added for {item['name']} in Price List {price_list}", alert=True
            )
    total = sum(r["amount"] for r in doc["items"])
    if total < 0:
        raise FrappeException(
            "ValidationError",
            "Incorrect value:Grand Total (Company Currency) must be >= 0.0",
            source=ERPNEXT,
        )
    doc.update(
        total_qty=sum(r["qty"] for r in doc["items"]),
        total=total,
        net_total=total,
        grand_total=total,
        base_total=total * doc["conversion_rate"],
        base_net_total=total * doc["conversion_rate"],
        base_grand_total=total * doc["conversion_rate"],
        rounded_total=round(total),
        per_received=0.0,
        per_billed=0.0,
    )


def po_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    buying_validate(double, doc, user, previous, "Purchase Order")
    for row in doc["items"]:  # what Purchase Invoices billed of the row (0.0 until then)
        row["billed_amt"] = _float(row.get("billed_amt"))


def po_on_submit(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """PurchaseOrder.on_submit: the budget check, the status (a one-POST submit leaves
    "Draft", an ERPNext quirk), last_purchase_rate per stock UOM on the Items."""
    check_budget(double, doc)
    if previous is not None:
        double.patch_doc("Purchase Order", doc["name"], status="To Receive and Bill")
    for row in doc.get("items") or []:
        rate = _float(row.get("rate")) / (_float(row.get("conversion_factor")) or 1.0)
        double.patch_doc("Item", row["item_code"], last_purchase_rate=rate)


def status_cancelled(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    double.patch_doc(str(doc["doctype"]), doc["name"], status="Cancelled")


def mr_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    doc["material_request_type"] = doc.get("material_request_type") or "Purchase"
    buying_validate(double, doc, user, previous)
    names = ", ".join(dict.fromkeys(str(r.get("item_name")) for r in doc["items"]))
    doc["title"] = doc.get("title") or f"{doc['material_request_type']} Request for {names}"


def mr_on_submit(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    if previous is not None:
        double.patch_doc("Material Request", doc["name"], status="Pending")


# ---------------------------------------------------------------------- Budget


def budget_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """Budget.validate: the budget_against field, accounts, duplicates, PO flags."""
    against = doc.get("budget_against") or "Cost Center"
    key = "project" if against == "Project" else "cost_center"
    if not doc.get(key):
        raise FrappeException("ValidationError", f"{against} is mandatory", source=ERPNEXT)
    accounts = doc.get("accounts") or []
    if not accounts:  # a real ERPNext bug: SQL "in ()" (README, section 2)
        raise FrappeException(
            "ProgrammingError",
            "",
            500,
            thrown=False,
            source=ERPNEXT,
            exception='(1064, "You have an error in your SQL syntax")',
        )
    seen: set[str] = set()
    for row in accounts:
        account = str(row.get("account"))
        if account in seen:
            raise FrappeException(
                "ValidationError",
                f"Account {account} has been entered multiple times",
                source=ERPNEXT,
            )
        seen.add(account)
        found = double._store["Account"].get(account)
        if found and found.get("is_group"):
            raise FrappeException(
                "ValidationError",
                f"Budget cannot be assigned against Group Account {account}",
                source=ERPNEXT,
            )
        if found and found.get("report_type") != "Profit and Loss":
            raise FrappeException(
                "ValidationError",
                f"Budget cannot be assigned against {account}, as it's not an Income or "
                "Expense account",
                source=ERPNEXT,
            )
        row["budget_amount"] = _float(row.get("budget_amount"))
    for other in double._store["Budget"].values():
        if other.get("name") == doc.get("name") or other["docstatus"] == 2:
            continue
        if (other.get(key), other.get("fiscal_year")) != (doc.get(key), doc.get("fiscal_year")):
            continue
        clash = seen & {str(r.get("account")) for r in other.get("accounts") or []}
        if clash:
            raise FrappeException(
                "DuplicateBudgetError",
                f"Another Budget record '{other['name']}' already exists against {against} "
                f"'{doc.get(key)}' and account '{sorted(clash)[0]}' for fiscal year "
                f"{doc.get('fiscal_year')}",
                source=ERPNEXT,
            )
    if doc.get("applicable_on_purchase_order") and not doc.get(
        "applicable_on_booking_actual_expenses"
    ):
        raise FrappeException(
            "ValidationError", "Please enable Applicable on Booking Actual Expenses", source=ERPNEXT
        )


def check_budget(double: FrappeDouble, po: Mapping[str, Any]) -> None:
    """erpnext.accounts.doctype.budget.budget.validate_expense_against_budget for a PO
    submit: per expense account of a submitted budget on the PO's project, the annual
    budget, then the budget accumulated to the PO's month (Stop: 417 BudgetError, Warn: an
    orange message)."""
    project = po.get("project")
    if not project:
        return
    month = int(str(po.get("transaction_date") or dt.date.today().isoformat())[5:7])
    for budget in double._store["Budget"].values():
        if budget["docstatus"] != 1 or budget.get("project") != project:
            continue
        if not budget.get("applicable_on_purchase_order"):
            continue
        for line in budget.get("accounts") or []:
            account = line.get("account")
            spent = sum(
                _float(r.get("amount"))
                for other in double._store["Purchase Order"].values()
                if other["docstatus"] == 1 or other["name"] == po["name"]
                for r in other.get("items") or []
                if r.get("expense_account") == account
                and (r.get("project") or other.get("project")) == project
            )
            annual = _float(line.get("budget_amount"))
            for kind, limit, action in (
                ("Annual", annual, budget.get("action_if_annual_budget_exceeded_on_po")),
                (
                    "Accumulated Monthly",
                    annual * month / 12,
                    budget.get("action_if_accumulated_monthly_budget_exceeded_on_po"),
                ),
            ):
                if round(spent, 2) <= round(limit, 2):
                    continue
                message = _budget_message(double, kind, str(account), project, limit, spent)
                default = "Stop" if kind == "Annual" else "Warn"
                if (action or default) == "Stop":
                    raise FrappeException(
                        "BudgetError", message, title="Budget Exceeded", source=ERPNEXT
                    )
                double.msgprint(message, title="Budget Exceeded", indicator="orange")


def _budget_message(
    double: FrappeDouble, kind: str, account: str, project: str, limit: float, spent: float
) -> str:
    link = f"{double.url}/app/query-report/General%20Ledger?project={project}"
    return (
        f"{kind} Budget for Account <strong>{account}</strong> against Project <strong>"
        f"{project}</strong> is <strong>{_money(limit)}</strong>. It will be exceed by "
        f"<strong>{_money(spent - limit)}</strong><hr>Total Expenses booked through - <ul>"
        f"<li><a href='{link}'>Actual Expenses</a> - <strong>{_money(0)}</strong></li>"
        f"<li><a href='{link}'>Material Requests</a> - <strong>{_money(0)}</strong></li>"
        f"<li><a href='{link}'>Unbilled Orders</a> - <strong>{_money(spent)}</strong></li></ul>"
    )


# ---------------------------------------------------------------------- Item Price, Project


def item_price_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """ItemPrice.validate: the item, its UOM, dates, duplicates; buying/selling from the list."""
    code = doc.get("item_code")
    item = double._store["Item"].get(str(code))
    if item is None:
        raise FrappeException("ValidationError", f"Item {code} not found.", source=ERPNEXT)
    doc["uom"] = doc.get("uom") or item.get("stock_uom")
    if doc["uom"] not in {r.get("uom") for r in item.get("uoms") or []} | {item["stock_uom"]}:
        raise FrappeException(
            "ValidationError", f"UOM {doc['uom']} not found in Item {code}", source=ERPNEXT
        )
    doc["item_name"] = item.get("item_name")
    doc["item_description"] = item.get("description")
    price_list = double._store["Price List"].get(str(doc.get("price_list"))) or {}
    doc["buying"] = int(bool(price_list.get("buying")))
    doc["selling"] = int(bool(price_list.get("selling")))
    doc["currency"] = doc.get("currency") or price_list.get("currency")
    doc["valid_from"] = doc.get("valid_from") or dt.date.today().isoformat()
    if doc.get("supplier"):
        doc["reference"] = doc["supplier"]
    if doc.get("valid_upto") and str(doc["valid_upto"]) < str(doc["valid_from"]):
        raise FrappeException(
            "InvalidDates",
            "<strong>Valid Upto</strong> must be after <strong>Valid From</strong>",
            source=ERPNEXT,
        )
    if doc.get("price_list_rate") not in (None, ""):
        doc["price_list_rate"] = _float(doc["price_list_rate"])
    for other in double._store["Item Price"].values():
        same = ("item_code", "price_list", "uom", "supplier", "customer")
        if other["name"] != doc.get("name") and all(other.get(k) == doc.get(k) for k in same):
            raise FrappeException(
                "ItemPriceDuplicateItem",
                "Item Price appears multiple times based on Price List, Supplier/Customer, "
                "Currency, Item, Batch, UOM, Qty, and Dates.",
                source=ERPNEXT,
            )


def project_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """Project.validate: an unknown status becomes Open; expected dates in order."""
    if doc.get("status") not in ("Open", "Completed", "Cancelled"):
        doc["status"] = "Open"
    start, end = doc.get("expected_start_date"), doc.get("expected_end_date")
    if start and end and str(end) < str(start):
        raise FrappeException(
            "InvalidDates",
            "<strong>Expected End Date</strong> must be after <strong>Expected Start Date</strong>",
            source=ERPNEXT,
        )
    doc["percent_complete"] = _float(doc.get("percent_complete"))
    for name in PROJECT_COST_FIELDS:  # computed by ERPNext, 0.0 on a new Project (B7.0)
        doc[name] = _float(doc.get(name))


PROJECT_COST_FIELDS = (
    "estimated_costing",
    "total_purchase_cost",
    "total_consumed_material_cost",
    "total_costing_amount",
    "total_billed_amount",
    "gross_margin",
)


def project_costing(double: FrappeDouble, project: str) -> None:
    """Project.update_purchase_costing and the gross margin: the sum of submitted Purchase
    Invoice rows' base_net_amount for the project, set without touching ``modified`` (B7)."""
    if not project or project not in double._store["Project"]:
        return
    total = sum(
        _float(row.get("base_net_amount"))
        for pi in double._store["Purchase Invoice"].values()
        if pi.get("docstatus") == 1
        for row in pi.get("items") or []
        if (row.get("project") or pi.get("project")) == project
    )
    doc = double._store["Project"][project]
    margin = _float(doc.get("total_billed_amount")) - (
        _float(doc.get("total_costing_amount"))
        + total
        + _float(doc.get("total_consumed_material_cost"))
    )
    double.patch_doc("Project", project, total_purchase_cost=total, gross_margin=margin)


def pi_validate(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """PurchaseInvoice.validate (the parts the bridge meets): rows from their Items."""
    company = _company(double, doc.get("company"))
    doc["credit_to"] = doc.get("credit_to") or company.get("default_payable_account")
    credit_to = double._store["Account"].get(str(doc["credit_to"])) or {}
    if credit_to.get("account_type") != "Payable":
        raise FrappeException(
            "ValidationError",
            f"Please ensure that the <strong>Credit To</strong> account <strong>"
            f"{doc['credit_to']}</strong> is a Payable account. You can change the account "
            "type to Payable or select a different account.",
            title="Invalid Account",
            source=ERPNEXT,
        )
    doc["posting_date"] = doc.get("posting_date") or dt.date.today().isoformat()
    if doc.get("bill_date") and str(doc["bill_date"]) > str(doc["posting_date"]):
        raise FrappeException(
            "ValidationError",
            "Supplier Invoice Date cannot be greater than Posting Date",
            source=ERPNEXT,
        )
    doc["due_date"] = doc.get("due_date") or doc["posting_date"]
    for row in doc.get("items") or []:
        item = _item(double, row.get("item_code"))
        row["uom"] = row.get("uom") or item.get("stock_uom")
        row["stock_uom"] = item.get("stock_uom")
        row["conversion_factor"] = _float(row.get("conversion_factor")) or 1.0
        row["qty"] = _float(row.get("qty"))
        row["rate"] = _float(row.get("rate"))
        row["amount"] = row["qty"] * row["rate"]
        row["base_net_amount"] = row["amount"]
        row["expense_account"] = row.get("expense_account") or company.get(
            "default_expense_account"
        )
    total = sum(r["amount"] for r in doc.get("items") or [])
    doc.update(total=total, net_total=total, grand_total=total, status="Draft")
    doc["outstanding_amount"] = 0.0


def pi_on_submit(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """PurchaseInvoice.on_submit: status, billed amounts on the PO rows (po_detail), GL
    entries (expense debit per row with its project, the payable credited), project costing."""
    double.patch_doc(
        "Purchase Invoice",
        doc["name"],
        status="Unpaid",
        outstanding_amount=_float(doc.get("grand_total")),
    )
    _bill_orders(double, doc, +1)
    for row in doc.get("items") or []:
        _gl_entry(double, doc, str(row["expense_account"]), row.get("project"), debit=row["amount"])
    _gl_entry(double, doc, str(doc["credit_to"]), None, credit=_float(doc.get("grand_total")))
    for project in {r.get("project") or doc.get("project") for r in doc.get("items") or []}:
        project_costing(double, str(project or ""))


def pi_on_cancel(
    double: FrappeDouble, doc: dict[str, Any], user: str, previous: Mapping[str, Any] | None
) -> None:
    """Cancelling keeps the GL entries, marked is_cancelled (B9.1), and un-bills the PO rows."""
    status_cancelled(double, doc, user, previous)
    _bill_orders(double, doc, -1)
    for entry in list(double._store["GL Entry"].values()):
        if entry.get("voucher_no") == doc["name"]:
            double.patch_doc("GL Entry", entry["name"], is_cancelled=1)
    for project in {r.get("project") or doc.get("project") for r in doc.get("items") or []}:
        project_costing(double, str(project or ""))


def _bill_orders(double: FrappeDouble, doc: Mapping[str, Any], sign: int) -> None:
    """billed_amt on the PO rows a PI bills, and the PO's per_billed and status."""
    for row in doc.get("items") or []:
        order = double._store["Purchase Order"].get(str(row.get("purchase_order") or ""))
        if not order:
            continue
        items = [
            {**item, "billed_amt": _float(item.get("billed_amt")) + sign * row["amount"]}
            if item.get("name") == row.get("po_detail")
            else item
            for item in order["items"]
        ]
        total = sum(_float(item.get("amount")) for item in items) or 1.0
        per_billed = round(100.0 * sum(_float(i.get("billed_amt")) for i in items) / total, 6)
        status = "Completed" if per_billed >= 100 else order.get("status")
        double.patch_doc(
            "Purchase Order", order["name"], items=items, per_billed=per_billed, status=status
        )


def _gl_entry(
    double: FrappeDouble,
    doc: Mapping[str, Any],
    account: str,
    project: Any,
    *,
    debit: float = 0.0,
    credit: float = 0.0,
) -> None:
    double._insert(
        "GL Entry",
        {
            "account": account,
            "debit": _float(debit),
            "credit": _float(credit),
            "posting_date": doc.get("posting_date"),
            "voucher_type": "Purchase Invoice",
            "voucher_no": doc["name"],
            "project": project or None,
            "cost_center": _company(double, doc.get("company")).get("cost_center"),
            "company": doc.get("company"),
            "is_cancelled": 0,
        },
        "Administrator",
    )


# ---------------------------------------------------------------------- declarations


def _row(name: str, **options: Any) -> DocTypeSpec:
    return DocTypeSpec(name, **options)


def register_erpnext(double: FrappeDouble) -> None:
    """Declare ERPNext's doctypes (shape, permissions, behaviour) on a FrappeDouble."""
    perms = PERMISSIONS
    double.register_doctype(
        "Company",
        naming="field:company_name",
        mandatory=("company_name", "default_currency"),
        defaults={"default_currency": "EUR", "country": "Netherlands"},
        permissions=perms["Company"],
    )
    project = double._specs["Project"]
    project.permissions = perms["Project"]
    project.validate = project_validate
    project.data_fields = ("project_name",)
    project.unique = ("project_name",)
    project.selects = {}  # Project.validate replaces an unknown status (recorded E6)
    project.labels = {**project.labels, "project_name": "Project Name"}
    double.register_doctype(
        "UOM",
        naming="field:uom_name",
        mandatory=("uom_name",),
        defaults={"must_be_whole_number": 0, "enabled": 1},
        labels={"uom_name": "UOM Name"},
        permissions=perms["UOM"],
    )
    double.register_doctype(
        "Item Group",
        naming="field:item_group_name",
        mandatory=("item_group_name",),
        links={"parent_item_group": "Item Group"},
        defaults={"is_group": 0},
        permissions=perms["Item Group"],
    )
    for doctype, key in (
        ("Supplier Group", "supplier_group_name"),
        ("Fiscal Year", "year"),
        ("Price List", "price_list_name"),
    ):
        double.register_doctype(
            doctype, naming=f"field:{key}", mandatory=(key,), permissions=perms[doctype]
        )
    for doctype in ("Warehouse", "Account", "Cost Center"):
        double.register_doctype(
            doctype,
            naming=_abbr_name(double, doctype),
            links={"company": "Company"},
            permissions=perms[doctype],
        )
    double.register_doctype(
        "Item",
        naming="field:item_code",
        mandatory=("item_code", "item_group", "stock_uom"),
        links={"item_group": "Item Group", "stock_uom": "UOM", "purchase_uom": "UOM"},
        defaults={"is_stock_item": 1, "disabled": 0},
        labels={
            "item_code": "Item Code",
            "stock_uom": "Default Unit of Measure",
            "purchase_uom": "Default Purchase Unit of Measure",
        },
        child_tables={
            "uoms": _row("UOM Conversion Detail", links={"uom": "UOM"}, labels={"uom": "UOM"}),
            "item_defaults": _row(
                "Item Default",
                links={
                    "company": "Company",
                    "default_warehouse": "Warehouse",
                    "default_supplier": "Supplier",
                },
            ),
        },
        data_fields=("item_name",),
        permissions=perms["Item"],
        validate=item_validate,
    )
    double.register_doctype(
        "BOM",
        naming=_bom_name,
        mandatory=("item", "company", "currency", "quantity", "items"),
        links={"item": "Item", "company": "Company", "project": "Project"},
        selects={
            "rm_cost_as_per": ("Valuation Rate", "Last Purchase Rate", "Price List", "Manual")
        },
        defaults={
            "quantity": 1,
            "is_active": 1,
            "is_default": 1,
            "rm_cost_as_per": "Valuation Rate",
            "with_operations": 0,
            "company": double.company,
        },
        child_tables={
            "items": _row(
                "BOM Item",
                mandatory=("item_code", "qty", "uom"),
                links={"uom": "UOM"},  # a missing item_code is a 404 from validate (F6)
                labels={"uom": "UOM"},
            )
        },
        submittable=True,
        allow_on_submit=("is_active", "is_default", "description"),
        permissions=perms["BOM"],
        validate=bom_validate,
        on_submit=manage_default_bom,
        on_update_after_submit=manage_default_bom,
        on_cancel=bom_on_cancel,
    )
    double.register_doctype(
        "Supplier",
        naming="field:supplier_name",
        mandatory=("supplier_name",),
        links={"supplier_group": "Supplier Group"},
        selects={"supplier_type": ("Company", "Individual", "Partnership")},
        defaults={"supplier_type": "Company"},
        labels={"supplier_name": "Supplier Name"},
        permissions=perms["Supplier"],
    )
    double.register_doctype(
        "Item Price",
        naming="hash",
        mandatory=("item_code", "price_list", "price_list_rate"),
        links={"price_list": "Price List", "supplier": "Supplier"},
        labels={"price_list_rate": "Rate"},
        permissions=perms["Item Price"],
        validate=item_price_validate,
    )
    buying_row = {
        "mandatory": ("item_code", "qty"),
        "links": {"warehouse": "Warehouse", "uom": "UOM", "project": "Project"},
        "labels": {"warehouse": "Target Warehouse", "uom": "UOM"},
    }
    double.register_doctype(
        "Purchase Order",
        naming="series:PUR-ORD-.YYYY.-.#####",
        mandatory=("company", "transaction_date"),
        defaults={"company": double.company},
        links={"company": "Company", "project": "Project"},
        child_tables={"items": _row("Purchase Order Item", **buying_row)},
        submittable=True,
        allow_on_submit=("title", "order_confirmation_no", "status"),
        permissions=perms["Purchase Order"],
        validate=po_validate,
        on_submit=po_on_submit,
        on_cancel=status_cancelled,
    )
    double.register_doctype(
        "Material Request",
        naming="series:MAT-MR-.YYYY.-.#####",
        mandatory=("company", "transaction_date"),
        defaults={"company": double.company},
        links={"company": "Company"},
        child_tables={"items": _row("Material Request Item", **buying_row)},
        submittable=True,
        permissions=perms["Material Request"],
        validate=mr_validate,
        on_submit=mr_on_submit,
        on_cancel=status_cancelled,
    )
    double.register_doctype(
        "Budget",
        naming="series:BUDGET-.YYYY.-.#####",
        mandatory=("budget_against", "company", "fiscal_year"),
        links={"company": "Company", "project": "Project", "fiscal_year": "Fiscal Year"},
        defaults={
            "company": double.company,
            "applicable_on_material_request": 0,
            "applicable_on_purchase_order": 0,
        },
        child_tables={"accounts": _row("Budget Account", links={"account": "Account"})},
        submittable=True,
        permissions=perms["Budget"],
        validate=budget_validate,
    )
    double.register_doctype(
        "Purchase Invoice",
        naming="series:ACC-PINV-.YYYY.-.#####",
        mandatory=("supplier", "company"),
        defaults={"company": double.company},
        links={"supplier": "Supplier", "company": "Company", "project": "Project"},
        child_tables={
            "items": _row(
                "Purchase Invoice Item",
                mandatory=("item_code", "qty"),
                links={"expense_account": "Account", "project": "Project"},
                labels={"expense_account": "Expense Head"},
            )
        },
        submittable=True,
        permissions=perms["Purchase Invoice"],
        validate=pi_validate,
        on_submit=pi_on_submit,
        on_cancel=pi_on_cancel,
    )
    double.register_doctype(
        "GL Entry",
        naming="series:ACC-GLE-.YYYY.-.#####",
        links={"account": "Account", "project": "Project"},
        permissions=perms["GL Entry"],
    )
    double.register_doctype("ToDo", naming="hash", mandatory=("description",))
    double.register_method(
        "erpnext.stock.get_item_details.get_conversion_factor", _get_conversion_factor
    )
    double.register_method(
        "erpnext.stock.get_item_details.apply_price_list",
        _apply_price_list,
        http_methods=("POST",),
    )
    double.register_method(
        "erpnext.buying.doctype.purchase_order.purchase_order.update_status",
        _po_update_status,
        http_methods=("POST",),
    )
    double.register_method(
        "erpnext.projects.doctype.project.project.update_costing_and_billing",
        lambda d, p, user: None,
    )
    double.register_method("erpnext.accounts.utils.get_fiscal_year", _get_fiscal_year)
    double.register_method("frappe.desk.query_report.run", _query_report_run)


def _abbr_name(double: FrappeDouble, doctype: str) -> Any:
    """Warehouse/Account/Cost Center names: "<name> - <company abbr>"."""
    key = {"Warehouse": "warehouse_name", "Account": "account_name"}.get(
        doctype, "cost_center_name"
    )

    def name(doc: dict[str, Any], existing: Mapping[str, Any]) -> str:
        abbr = _company(double, doc.get("company")).get("abbr") or "OD"
        return f"{doc.get(key)} - {abbr}"

    return name


def _bom_name(doc: Mapping[str, Any], existing: Mapping[str, Any]) -> str:
    """ERPNext's BOM.autoname: BOM-<item>-001, -002, ..."""
    number = 1 + sum(1 for name in existing if name.startswith(f"BOM-{doc.get('item')}-"))
    return f"BOM-{doc.get('item')}-{number:03d}"


def _get_conversion_factor(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    item = _item(double, params.get("item_code"))
    return {"conversion_factor": item_factor(item, str(params.get("uom"))) or 1.0}


def _apply_price_list(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    """erpnext.stock.get_item_details.apply_price_list: a price-list rate per row in the row's
    UOM (the stock-UOM price x factor only when the row names its stock_uom: a row without it
    and without a price in its own UOM gets no price_list_rate key, recorded A2.23/A2.25); a
    Purchase User may call it although Item Price is closed to them (A2.24)."""
    args = params.get("args") or {}
    if isinstance(args, str):
        args = json.loads(args)
    price_list = str(args.get("buying_price_list") or args.get("price_list") or "")
    children = []
    for row in args.get("items") or []:
        item = _item(double, row.get("item_code"))
        uom = str(row.get("uom") or item.get("stock_uom"))
        child: dict[str, Any] = {}
        own = any(
            p.get("item_code") == item["name"]
            and p.get("price_list") == price_list
            and p.get("uom") == uom
            for p in double._store["Item Price"].values()
        )
        if own or row.get("stock_uom") or uom == item.get("stock_uom"):
            child["price_list_rate"] = item_price(double, item, price_list, uom)
        child.update(
            doctype=row.get("doctype"),
            has_margin=False,
            name=row.get("name"),
            free_item_data=[],
            parent=None,
            parenttype=None,
            child_docname=row.get("child_docname"),
        )
        children.append(child)
    company = _company(double, args.get("company") or double.company)
    return {
        "parent": {
            "price_list_currency": args.get("price_list_currency")
            or company.get("default_currency"),
            "price_list_uom_dependant": None,
            "plc_conversion_rate": args.get("plc_conversion_rate") or 1,
        },
        "children": children,
    }


def _po_update_status(double: FrappeDouble, params: dict[str, Any], user: str) -> None:
    """PurchaseOrder.update_status: Closed / On Hold; "Submitted" and "Draft" re-open."""
    name = str(params.get("name") or "")
    double.check_permission("Purchase Order", "write", user)
    po = double._existing("Purchase Order", name)
    status = str(params.get("status") or "")
    if status in ("Submitted", "Draft"):
        status = "To Receive and Bill" if po["docstatus"] == 1 else "Draft"
    double.patch_doc("Purchase Order", name, status=status, modified=double._tick())
    return None


# erpnext/accounts/report/budget_variance_report/budget_variance_report.json: its roles; the
# report's ref_doctype is Cost Center, which names the 403 (B8.7).
BUDGET_VARIANCE_ROLES = (*ACCOUNTS_ROLES, "Auditor")


def _query_report_run(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    """frappe.desk.query_report.run, for the Budget Variance Report only (B8.1-B8.7)."""
    name = str(params.get("report_name") or "")
    if name != "Budget Variance Report":
        raise FrappeException("DoesNotExistError", f"Report {name} not found", 404, bare=True)
    roles = double.roles_of(user)
    if roles is not None and not roles & set(BUDGET_VARIANCE_ROLES):
        raise FrappeException(
            "PermissionError", "You don't have permission to get a report on: Cost Center", 403
        )
    filters = params.get("filters") or {}
    if isinstance(filters, str):
        filters = json.loads(filters)
    if "period" not in filters:  # execute() reads filters["period"] first (B8.4, B8.6)
        raise FrappeException(
            "KeyError", "'period'", 500, thrown=False, source=ERPNEXT, exception="'period'"
        )
    return _budget_variance(double, filters)


def _budget_variance(double: FrappeDouble, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Yearly rows per project and account: the submitted Budgets' budget_amount, the GL
    Entries' debit - credit (not cancelled) in the fiscal year, their difference."""
    year = str(filters.get("from_fiscal_year") or "")
    fiscal = double._store["Fiscal Year"].get(year) or {}
    start = str(fiscal.get("year_start_date") or f"{year}-01-01")
    end = str(fiscal.get("year_end_date") or f"{year}-12-31")
    wanted = filters.get("budget_against_filter") or []
    budgets: dict[tuple[str, str], float] = {}
    for budget in double._store["Budget"].values():
        project = str(budget.get("project") or "")
        if budget["docstatus"] != 1 or budget.get("budget_against") != "Project" or not project:
            continue
        if budget.get("fiscal_year") != year or (wanted and project not in wanted):
            continue
        for line in budget.get("accounts") or []:
            key = (project, str(line.get("account")))
            budgets[key] = budgets.get(key, 0.0) + _float(line.get("budget_amount"))
    result = []
    for (project, account), amount in sorted(budgets.items()):
        actual = sum(
            _float(entry.get("debit")) - _float(entry.get("credit"))
            for entry in double._store["GL Entry"].values()
            if entry.get("project") == project
            and entry.get("account") == account
            and not entry.get("is_cancelled")
            and start <= str(entry.get("posting_date") or "") <= end
        )
        result.append(
            {
                "budget_against": project,
                "Account": account,
                f"budget_{year}": amount,
                f"actual_{year}": actual,
                f"variance_{year}": amount - actual,
            }
        )
    columns = [
        {"label": "Project", "fieldtype": "Link", "fieldname": "budget_against"},
        {"label": "Account", "fieldname": "Account", "fieldtype": "Link", "options": "Account"},
        *(
            {"label": f"{label} {year}", "fieldtype": "Float", "fieldname": f"{key}_{year}"}
            for label, key in (("Budget", "budget"), ("Actual", "actual"), ("Variance", "variance"))
        ),
    ]
    return {
        "result": result,
        "columns": columns,
        "message": None,
        "report_summary": None,
        "skip_total_row": 0,
        "status": None,
        "execution_time": 0.001,
        "add_total_row": 0,
    }


def _get_fiscal_year(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    date = str(params.get("date") or dt.date.today().isoformat())
    for year in double._store["Fiscal Year"].values():
        if str(year.get("year_start_date")) <= date <= str(year.get("year_end_date")):
            return [year["name"], year["year_start_date"], year["year_end_date"]]
    shown = dt.date.fromisoformat(date[:10]).strftime("%m-%d-%Y")
    raise FrappeException(
        "FiscalYearError",
        f"Date {shown} is not in any active Fiscal Year for <strong>{double.company}</strong>",
        plain=True,
        source=ERPNEXT,
    )


# ---------------------------------------------------------------------- seeds


def seed_stock_basics(double: FrappeDouble) -> None:
    """What the double always had for stock tests: All Item Groups and a few short UOMs."""
    with double._lock:
        if "All Item Groups" not in double._store["Item Group"]:
            double._insert(
                "Item Group", {"item_group_name": "All Item Groups", "is_group": 1}, "Administrator"
            )
        for uom in ("Nos", "Unit", "m", "m²", "m³", "kg"):
            if uom not in double._store["UOM"]:
                whole = int(uom in WHOLE_NUMBER_UOMS)
                double._insert(
                    "UOM", {"uom_name": uom, "must_be_whole_number": whole}, "Administrator"
                )
        if "Standard Buying" not in double._store["Price List"]:
            double._insert(
                "Price List",
                {"price_list_name": "Standard Buying", "buying": 1, "currency": "EUR"},
                "Administrator",
            )


def seed_recorded_site(double: FrappeDouble) -> None:
    """The master data of the recorded site (README.md, section 0)."""
    admin = "Administrator"
    with double._lock:
        double.settings.update(default_warehouse=f"Stores - {SITE_ABBR}")
        company = double._store["Company"][SITE_COMPANY]
        double._store["Company"][SITE_COMPANY] = {
            **company,
            "abbr": SITE_ABBR,
            "default_currency": "USD",
            "country": "United States",
            "chart_of_accounts": "Standard",
            "default_payable_account": f"Creditors - {SITE_ABBR}",
            "default_expense_account": f"Cost of Goods Sold - {SITE_ABBR}",
            "cost_center": f"Main - {SITE_ABBR}",
            "round_off_account": f"Round Off - {SITE_ABBR}",
            "stock_received_but_not_billed": f"Stock Received But Not Billed - {SITE_ABBR}",
            "stock_adjustment_account": f"Stock Adjustment - {SITE_ABBR}",
            "default_inventory_account": f"Stock In Hand - {SITE_ABBR}",
            "enable_perpetual_inventory": 1,
            "default_buying_terms": None,
            "payment_terms": None,
        }
        for uom in SITE_UOMS:
            whole = int(uom in WHOLE_NUMBER_UOMS)
            double._insert("UOM", {"uom_name": uom, "must_be_whole_number": whole}, admin)
        double._insert("Item Group", {"item_group_name": "All Item Groups", "is_group": 1}, admin)
        for group in ITEM_GROUPS:
            double._insert(
                "Item Group",
                {"item_group_name": group, "parent_item_group": "All Item Groups", "is_group": 0},
                admin,
            )
        double._insert(
            "Warehouse",
            {"warehouse_name": "All Warehouses", "company": SITE_COMPANY, "is_group": 1},
            admin,
        )
        for warehouse in WAREHOUSES:
            double._insert(
                "Warehouse",
                {
                    "warehouse_name": warehouse,
                    "company": SITE_COMPANY,
                    "is_group": 0,
                    "parent_warehouse": f"All Warehouses - {SITE_ABBR}",
                },
                admin,
            )
        for name, parent, is_group, root_type, account_type in ACCOUNTS:
            report = "Balance Sheet" if root_type in ("Asset", "Liability") else "Profit and Loss"
            double._insert(
                "Account",
                {
                    "account_name": name,
                    "company": SITE_COMPANY,
                    "parent_account": f"{parent} - {SITE_ABBR}" if parent else "",
                    "is_group": is_group,
                    "root_type": root_type,
                    "report_type": report,
                    "account_type": account_type,
                },
                admin,
            )
        double._insert(
            "Cost Center",
            {"cost_center_name": SITE_COMPANY, "company": SITE_COMPANY, "is_group": 1},
            admin,
        )
        double._insert(
            "Cost Center",
            {"cost_center_name": "Main", "company": SITE_COMPANY, "is_group": 0},
            admin,
        )
        for year in ("2026", "2027"):
            double._insert(
                "Fiscal Year",
                {
                    "year": year,
                    "year_start_date": f"{year}-01-01",
                    "year_end_date": f"{year}-12-31",
                    "disabled": 0,
                    "is_short_year": 0,
                },
                admin,
            )
        double._insert("Supplier Group", {"supplier_group_name": "All Supplier Groups"}, admin)
        for group in SUPPLIER_GROUPS:
            double._insert("Supplier Group", {"supplier_group_name": group}, admin)
        for name, buying in (("Standard Buying", 1), ("Standard Selling", 0)):
            double._insert(
                "Price List",
                {
                    "price_list_name": name,
                    "buying": buying,
                    "selling": 1 - buying,
                    "currency": "USD",
                    "enabled": 1,
                },
                admin,
            )


def recorded_site(**kwargs: Any) -> FrappeDouble:
    """A FrappeDouble (not started) like the recorded ERPNext 15 site: its Company, master
    data and two API users: ADMIN_KEY/ADMIN_SECRET (System Manager) and
    RESTRICTED_KEY/RESTRICTED_SECRET (Projects User, Manufacturing User, Purchase User)."""
    kwargs.setdefault("api_key", ADMIN_KEY)
    kwargs.setdefault("api_secret", ADMIN_SECRET)
    double = FrappeDouble(version=15, user=ADMIN_USER, company=SITE_COMPANY, **kwargs)
    register_erpnext(double)
    seed_recorded_site(double)
    double.add_api_user(RESTRICTED_KEY, RESTRICTED_SECRET, RESTRICTED_USER, roles=RESTRICTED_ROLES)
    return double
