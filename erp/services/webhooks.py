"""The receiver of ERPNext's Project webhook: signature, replay and staleness checks, then apply.

Frappe signs a delivery as base64(HMAC-SHA256(webhook secret, body)) in the header
X-Frappe-Webhook-Signature (frappe/integrations/doctype/webhook/webhook.py,
get_webhook_headers). It sends the body without a Content-Type unless the Webhook adds one,
so the body is read as JSON whatever the header says.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ParseError

from integrations import crypto
from openaec.exceptions import AccessDeniedError, ApplicationError, NotFoundError
from openaec.parsers import check_json

from ..constants import PROJECT_DOCTYPE
from ..models import ErpnextProjectLink, ErpnextSite, WebhookDelivery
from ..normalise import ValueRejected
from .state import Source, SyncOutcome, apply_remote_locked, remote_state

logger = logging.getLogger(__name__)


class WebhookUnsignedError(ApplicationError):
    """The delivery carries no signature."""

    status_code = 401


class WebhookRefusedError(AccessDeniedError):
    """Bad signature, or the site cannot verify deliveries."""


# ERPNext stamps `modified` in its site's time zone; a day covers every zone, and a stamp
# further ahead would make the link ignore every later delivery.
MAX_MODIFIED_AHEAD = dt.timedelta(days=1)
REPLAYED_DETAIL = "Already received: this exact body came before; nothing to do."


@dataclass(frozen=True)
class WebhookOutcome:
    """What a delivery did: `result` is updated, unchanged or not_linked.

    A delivery already received, or not newer than the state held (ERPNext echoes every
    write of ours with the `modified` we already hold), is "unchanged": a 200, so that Frappe
    does not retry it, and no history row.
    """

    result: str
    detail: str
    erpnext_project: str
    sync: SyncOutcome | None = None


def webhook_signature(*, secret: str, body: bytes) -> str:
    """The signature Frappe sends for `body`."""
    digest = hmac.new(secret.encode("utf8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def erpnext_webhook_receive(*, token: str, body: bytes, signature: str | None) -> WebhookOutcome:
    """Verify and apply one delivery of the Project webhook of the site behind `token`."""
    site = ErpnextSite.objects.filter(webhook_token=token).first()
    if site is None:
        raise NotFoundError("Unknown webhook URL")
    if not site.webhook_secret:
        raise WebhookRefusedError(
            "Webhooks are not enabled for this ERPNext site: an administrator must set its "
            "webhook secret first."
        )
    if not signature or not signature.strip():
        raise WebhookUnsignedError(
            "Unsigned delivery: the X-Frappe-Webhook-Signature header is missing. In the "
            "ERPNext Webhook, tick Enable Security and set the Webhook Secret."
        )
    try:
        secret = crypto.decrypt_secret(site.webhook_secret)
    except crypto.UndecryptableSecret as exc:
        raise WebhookRefusedError(
            "This site's webhook secret cannot be decrypted; an administrator must set it again."
        ) from exc
    expected = webhook_signature(secret=secret, body=body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf8", "replace")):
        logger.warning("Refused an ERPNext webhook delivery for %s: bad signature", site.url)
        raise WebhookRefusedError("Bad signature: the body was not signed with this site's secret.")

    state = _parse(body)
    body_sha256 = hashlib.sha256(body).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    site=site,
                    body_sha256=body_sha256,
                    erpnext_project=state.name,
                    erpnext_modified=state.modified,
                )
        except IntegrityError:
            return WebhookOutcome("unchanged", REPLAYED_DETAIL, state.name)
        else:
            link = (
                ErpnextProjectLink.objects.select_for_update(of=("self",))
                .select_related("site", "project")
                .filter(site=site, erpnext_project=state.name)
                .first()
            )
            if link is None:
                outcome = WebhookOutcome(
                    "not_linked",
                    f"No BIM project is linked to {state.name}; nothing to do.",
                    state.name,
                )
            else:
                sync = apply_remote_locked(link=link, state=state, source=Source.WEBHOOK)
                outcome = WebhookOutcome(sync.result, sync.detail, state.name, sync)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(outcome=outcome.result)
    return outcome


def _parse(body: bytes):
    """The delivery as a RemoteState; what the API refuses in a JSON body is refused here too
    (deep nesting, unpaired surrogates), and so are NUL characters, which PostgreSQL cannot
    store, and a `modified` far in the future."""
    try:
        payload = json.loads(body)
        check_json(payload)
    except ParseError as exc:
        raise ApplicationError(f"The delivery body is not usable JSON: {exc.detail}") from exc
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApplicationError("The delivery body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise ApplicationError("The delivery body is not a JSON object.")
    if any(isinstance(v, str) and "\x00" in v for v in (*payload, *payload.values())):
        raise ApplicationError("The delivery contains a NUL character.")
    doctype = payload.get("doctype")
    if doctype not in (None, PROJECT_DOCTYPE):
        raise ApplicationError(f"Only Project deliveries are accepted, not {str(doctype)[:60]!r}.")
    try:
        state = remote_state(payload, partial=True)
    except ValueRejected as exc:
        raise ApplicationError(f"The delivery is not a usable Project: {exc}.") from exc
    latest = (dt.datetime.now() + MAX_MODIFIED_AHEAD).strftime("%Y-%m-%d %H:%M:%S.%f")
    if state.modified > latest:
        raise ApplicationError(
            f"The delivery's 'modified' ({state.modified}) is more than a day in the future."
        )
    return state
