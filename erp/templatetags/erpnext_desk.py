"""Links to documents in ERPNext's desk: {site}/app/<doctype>/<name> (Frappe's desk routes)."""

from urllib.parse import quote

from django import template
from django.utils.html import format_html

register = template.Library()


def desk_url(site: str, doctype: str, name: str) -> str:
    """The desk page of a document: "BOM" "BOM-0001" -> {site}/app/bom/BOM-0001."""
    slug = doctype.strip().lower().replace(" ", "-")
    return f"{site.rstrip('/')}/app/{quote(slug)}/{quote(str(name), safe='')}"


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
