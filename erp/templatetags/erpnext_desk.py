"""Links to documents in ERPNext's desk: {site}/app/<doctype>/<name> (Frappe's desk routes)."""

from django import template
from django.utils.html import format_html

from erp.normalise import desk_url

register = template.Library()


@register.simple_tag
def erpnext_link(site: str | None, doctype: str, name: str | None, text: str | None = None):
    """An <a> to the document in ERPNext's desk (new tab); the bare name without a site."""
    if not name:
        return "—"
    label = text or name
    if not site:
        return label
    return format_html(
        '<a href="{}" target="_blank" rel="noopener" title="Open {} {} in ERPNext">{}</a>',
        desk_url(site, doctype, name),
        doctype,
        name,
        label,
    )
