"""Markup for long lists, written in Python to keep the Matrix fast.

The Matrix renders up to 400 rows; through the template engine each row cost about a
millisecond (bench/public_pages.py), most of it in tag and variable resolution.
``recommendation_rows`` builds the same markup in Python, translating each fixed string once
per table and escaping every value.
"""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from recommendations.models import MandateAssignment, is_web_url

register = template.Library()

SUMMARY_WORDS = 25


@register.simple_tag
def not_recorded(text: str = "") -> str:
    return format_html('<span class="unknown">{}</span>', text or gettext("Not yet recorded"))


def _swatch(colour: str) -> str:
    return (
        '<svg class="swatch" viewBox="0 0 10 10" aria-hidden="true" focusable="false">'
        f'<rect width="10" height="10" fill="{escape(colour)}"/></svg>'
    )


@register.simple_tag
def status_badge(status, demo: bool = False) -> str:
    """A status with its colour swatch and its label (never colour alone)."""
    if status is None:
        return not_recorded()
    demo_tag = format_html(' <span class="demo-tag">{}</span>', gettext("demo")) if demo else ""
    return mark_safe(
        f'<span class="status">{_swatch(status.colour)}{escape(status.label)}</span>{demo_tag}'
    )


def _lang(obj) -> str:
    """``lang="en"`` for a name or title shown in English on a French page."""
    return ' lang="en"' if obj.in_english_only else ""


class _RowRenderer:
    """Renders Matrix rows; caches what repeats (statuses, sections, fixed strings)."""

    def __init__(self) -> None:
        self.unknown = str(not_recorded())
        self.text_unknown = str(not_recorded(gettext("Text not yet recorded")))
        self.demo = format_html(' <span class="demo-tag">{}</span>', gettext("demo"))
        contributing, show_full = gettext("contributing"), gettext("show the full text")
        self.contributing = escape(f" ({contributing})")
        self.show_full = escape(f" ({show_full})")
        detail = reverse("recommendations:detail", args=["R0"])
        self.detail_prefix, self.detail_suffix = detail.split("R0")
        self.cache: dict = {}

    def cached(self, key, build):
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def status(self, status, demo: bool) -> str:
        if status is None:
            return self.unknown
        badge = self.cached(
            (type(status), status.pk),
            lambda: f'<span class="status">{_swatch(status.colour)}{escape(status.label)}</span>',
        )
        return badge + self.demo if demo else badge

    def text(self, rec) -> str:
        lang = ' lang="en"'
        if rec.display_title:
            attribute = lang if rec.title_in_english_only else ""
            return f"<span{attribute}>{escape(rec.display_title)}</span>"
        text = rec.display_text
        if not text:
            return self.text_unknown
        attribute = lang if rec.text_in_english_only else ""
        start = Truncator(text).words(SUMMARY_WORDS)
        if len(start) >= len(text):
            return f"<span{attribute}>{escape(text)}</span>"
        return (
            f'<details{attribute}><summary><span class="start">{escape(start)}</span>'
            f'<span class="visually-hidden">{self.show_full}</span></summary>'
            f"{escape(text)}</details>"
        )

    def place(self, rec) -> str:
        if rec.section_id:
            section = rec.section
            return self.cached(
                ("section", section.pk),
                lambda: (
                    f'<span class="place-key">{escape(section.key)}</span> '
                    f"<span{_lang(section)}>{escape(section.display_title)}</span>"
                ),
            )
        if rec.cluster_id:
            cluster = rec.cluster
            return self.cached(
                ("cluster", cluster.pk),
                lambda: f"<span{_lang(cluster)}>{escape(str(cluster))}</span>",
            )
        return self.unknown

    def responsibility(self, rec) -> str:
        if not rec.responsibility:
            return self.unknown
        return self.cached(
            ("responsibility", rec.responsibility),
            lambda: escape(rec.get_responsibility_display()),
        )

    def holders(self, rec) -> str:
        parts = []
        for assignment in rec.owners:
            part = escape(assignment.mandate_holder.short_name)
            if assignment.role != MandateAssignment.Role.LEAD:
                part += self.contributing
            if assignment.is_demo:
                part += self.demo
            parts.append(part)
        return ", ".join(parts) or self.unknown

    def row(self, rec) -> str:
        code = rec.code
        changed = timezone.localtime(rec.updated_at)
        return (
            f'<tr>\n  <th scope="row"><a href="{self.detail_prefix}{code}{self.detail_suffix}">'
            f"{code}</a></th>\n"
            f'  <td class="rec-text">{self.text(rec)}</td>\n'
            f"  <td>{self.place(rec)}</td>\n"
            f"  <td>{self.responsibility(rec)}</td>\n"
            f"  <td>{self.holders(rec)}</td>\n"
            f"  <td>{self.status(rec.assessment_status, rec.assessment_status_demo)}</td>\n"
            f"  <td>{self.status(rec.implementation_status, rec.implementation_status_demo)}</td>\n"
            f'  <td><time datetime="{changed.isoformat()}">{changed:%Y-%m-%d}</time></td>\n'
            "</tr>"
        )


@register.simple_tag
def recommendation_rows(rows) -> str:
    """The ``<tr>`` of each recommendation in a Matrix-style table.

    Pass the rows through ``filters.with_vocabulary`` first.
    """
    renderer = _RowRenderer()
    return mark_safe("\n".join(renderer.row(rec) for rec in rows))


@register.simple_tag
def facet_options(name: str, options) -> str:
    """The checkboxes of one Matrix facet, each with its count (zero included)."""
    lines = []
    for option in options:
        field_id = escape(f"f-{name}-{option.value}")
        swatch = _swatch(option.colour) if option.colour else ""
        checked = " checked" if option.selected else ""
        lang = f' lang="{option.lang}"' if option.lang else ""
        lines.append(
            f'<div class="option depth-{option.depth}">'
            f'<input type="checkbox" id="{field_id}" name="{escape(name)}" '
            f'value="{escape(option.value)}"{checked}>'
            f'<label for="{field_id}"{lang}>{swatch}{escape(option.label)} '
            f'<span class="count">({option.count})</span></label></div>'
        )
    return mark_safe("\n".join(lines))


@register.filter
def web_url(value: str) -> bool:
    """An http(s) address, which a page may link to (any other scheme is shown as text)."""
    return is_web_url(value)


@register.filter
def subheading(heading: str) -> str:
    """The heading level below ``heading`` ("h2" -> "h3"), at most h6."""
    level = int(heading[1:]) if heading[:1] == "h" and heading[1:].isdigit() else 3
    return f"h{min(level + 1, 6)}"
