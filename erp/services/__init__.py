"""Writes and cross-system actions of ERPNext links (a package: see each module)."""

from .clients import ErpnextProjectNotFoundError, SiteMismatchError, client_for, user_site_url
from .links import (
    AlreadyLinkedError,
    SearchPage,
    erpnext_project_search,
    project_link_create,
    project_link_create_new,
    project_link_delete,
)
from .sites import (
    NewWebhookSecret,
    erpnext_site_get_or_create,
    erpnext_site_secrets_rotate,
    erpnext_site_webhook_disable,
    erpnext_site_webhook_secret_set,
)
from .state import SyncOutcome, require_erp_writer
from .sync import (
    PeriodicReport,
    erpnext_links_sync_all,
    link_in_step,
    link_sync_background,
    project_link_pull,
    project_status_changed,
    project_status_push,
    project_status_push_background,
    project_status_push_handle,
)
from .webhooks import (
    WebhookOutcome,
    WebhookRefusedError,
    WebhookUnsignedError,
    erpnext_webhook_receive,
    webhook_signature,
)

__all__ = [
    "AlreadyLinkedError",
    "ErpnextProjectNotFoundError",
    "NewWebhookSecret",
    "PeriodicReport",
    "SearchPage",
    "SiteMismatchError",
    "SyncOutcome",
    "WebhookOutcome",
    "WebhookRefusedError",
    "WebhookUnsignedError",
    "client_for",
    "erpnext_links_sync_all",
    "erpnext_project_search",
    "erpnext_site_get_or_create",
    "erpnext_site_secrets_rotate",
    "erpnext_site_webhook_disable",
    "erpnext_site_webhook_secret_set",
    "erpnext_webhook_receive",
    "link_in_step",
    "link_sync_background",
    "project_link_create",
    "project_link_create_new",
    "project_link_delete",
    "project_link_pull",
    "project_status_changed",
    "project_status_push",
    "project_status_push_background",
    "project_status_push_handle",
    "require_erp_writer",
    "user_site_url",
    "webhook_signature",
]
