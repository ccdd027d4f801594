"""The preflight pieces other features run before they write (no Django models here)."""

from erp.services.clients import ErpnextContext
from openaec.exceptions import ApplicationError

from .probes import Probe
from .report import BLOCKING, Builder, SiteFacts


def bom_write_check(*, context: ErpnextContext, submit: bool) -> None:
    """Before a BOM sync is queued: refuse (400, with the role or the fix) when ERPNext will
    certainly refuse its writes. A permission ERPNext does not answer about is let through."""
    probe = Probe(context.client)
    facts = SiteFacts(site_url=context.site_url, today="")
    b = Builder(probe, facts, "your ERPNext user")
    # One question, the strongest permission the run needs: ERPNext's BOM roles that may submit
    # may also create, and each question is a round trip on every first sync.
    checks = [b.perm("BOM", "submit" if submit else "create")]
    refused = [c for c in checks if c.ok is False and c.severity == BLOCKING]
    if refused:
        raise ApplicationError(
            "This sync cannot succeed, so nothing was written: "
            + " ".join(f"{c.reason}. {c.fix}" for c in refused)
        )
