"""Fixed values of the ERPNext side: status names, the fields we keep, limits."""

PROJECT_DOCTYPE = "Project"

# BIM status (projects.Project.Status) <-> ERPNext Project.status (a Select in ERPNext).
ERPNEXT_STATUS_BY_BIM = {"open": "Open", "completed": "Completed", "cancelled": "Cancelled"}
BIM_STATUS_BY_ERPNEXT = {value: key for key, value in ERPNEXT_STATUS_BY_BIM.items()}

# The Project fields a pull reads; `modified` decides which side's state is newest.
PROJECT_FIELDS = (
    "name",
    "project_name",
    "status",
    "percent_complete",
    "expected_start_date",
    "expected_end_date",
    "company",
    "modified",
)

SEARCH_PAGE_SIZE = 20
SEARCH_MAX_PAGE_SIZE = 100
SEARCH_READ_PAGE_SIZE = 500  # rows per request while reading every page from ERPNext
SEARCH_MAX_ROWS = 5000  # rows read from ERPNext for one search; more is reported as truncated
HISTORY_PAGE_SIZE = 50
HISTORY_MAX_PAGE_SIZE = 200

WEBHOOK_SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"  # frappe/integrations/doctype/webhook
WEBHOOK_DELIVERY_RETENTION_DAYS = 30
WEBHOOK_SECRET_MIN_LENGTH = 16
WEBHOOK_SECRET_MAX_LENGTH = 512

# Written to a Project's `notes` when we create it, so a retry after a lost answer finds it.
CREATED_MARKER = "Created by the OpenAEC ERP bridge from BIM project {project_id}"
