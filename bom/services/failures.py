"""ERPNext failures of the BOM sync: the shared sentences (erp.services.clients), BOM's words."""

from erp.services.clients import ErpnextContext
from integrations.erpnext.errors import (
    ErpnextError,
    ErpnextNetworkError,
    ErpnextRateLimited,
    ErpnextServerError,
)
from openaec.exceptions import ApplicationError

WHAT = "the BOM, its Items or UOMs"
ROLE = "Manufacturing User"


def as_application_error(exc: ErpnextError, *, context: ErpnextContext) -> ApplicationError:
    """The user's sentence and status for a failure of a BOM call."""
    return context.failure(exc, what=WHAT, role=ROLE)


def describe(exc: ErpnextError, *, context: ErpnextContext) -> str:
    """The sentence alone, for a run that failed in the background."""
    message = as_application_error(exc, context=context).message
    if is_transient(exc):
        message += " Resume the run once ERPNext is back; nothing will be written twice."
    return message


def is_transient(exc: ErpnextError) -> bool:
    """Whether resuming later may succeed without changing anything."""
    return isinstance(exc, ErpnextServerError | ErpnextNetworkError | ErpnextRateLimited)
