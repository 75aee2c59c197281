"""Small pieces of markup used in long lists, written in Python to keep the Matrix fast."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag
def not_recorded(text: str = "") -> str:
    return format_html('<span class="unknown">{}</span>', text or gettext("Not yet recorded"))


@register.simple_tag
def status_badge(status, demo: bool = False) -> str:
    """A status with its colour swatch and its label (never colour alone)."""
    if status is None:
        return not_recorded()
    demo_tag = format_html(' <span class="demo-tag">{}</span>', gettext("demo")) if demo else ""
    return format_html(
        '<span class="status"><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" '
        'focusable="false"><rect width="10" height="10" fill="{}"/></svg>{}</span>{}',
        status.colour,
        status.label,
        demo_tag,
    )
