"""Constants of the cost dashboard."""

# The Project's cost fields ERPNext computes (purchasing-and-costs.md, 7.2).
PROJECT_COST_FIELDS = (
    "estimated_costing",
    "total_purchase_cost",
    "total_consumed_material_cost",
    "total_costing_amount",
    "total_billed_amount",
    "gross_margin",
    "percent_complete",
)
# Share of the budget used (actual + committed) at which a row is flagged.
THRESHOLD_WARN = 0.80
THRESHOLD_CRITICAL = 0.95
# Cached figures younger than this are shown without asking ERPNext again.
CACHE_SECONDS = 300

ROLE_ACCOUNTS = "Accounts User (or Accounts Manager)"
ROLE_BUDGET = "Accounts Manager"
ACTUAL_FROM_GL = "GL Entry"
ACTUAL_FROM_PROJECT = "Project"
# The job kind that reads the figures again.
COST_REFRESH = "cost_refresh"
