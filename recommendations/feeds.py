"""Atom feeds of what the public may see change: the public timeline's entries (history.py).

Four feeds, each the newest ``MAX_ENTRIES`` entries, newest first:

- ``/feeds/changes.atom``: the whole tracker;
- ``/recommendations/R14/feed.atom``: one recommendation (404 where its page is a 404);
- ``/mandate-holders/<slug>/feed.atom``: the recommendations it leads or contributes to, and
  its own published updates on any other;
- ``/matrix/feed.atom?<the Matrix's query>``: the recommendations the Matrix's FilterSet gives
  for the same query string (unknown values are dropped, as on the page).

An entry is what the recommendation's page lists in its history: the fields that changed (old →
new), the date, the path and the reason; or a published progress update (its mandate-holder,
period, texts and evidence, its author only where the Secretariat chose to show them). A change
that applied an update is one entry with the update in it, as on the page. Never demonstration
entries, changes to internal fields only, staff names or updates kept internal.
"""

import re
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import linebreaksbr
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from recommendations.converters import Code, canonical_redirect
from recommendations.filters import OWNER_ROLES, RecommendationFilterSet
from recommendations.history import PublicChange, public_changes
from recommendations.listing import active_filters, describe_filters
from recommendations.models import (
    NUMBER_MAX,
    MandateAssignment,
    MandateHolder,
    ProgressUpdate,
    Recommendation,
)

MAX_ENTRIES = 50
TITLE_CHARACTERS = 200
# Characters XML 1.0 cannot hold (Django refuses to write them): a tab from a spreadsheet cell
# or a NUL in a query string must not make a feed fail.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", str(text))


@dataclass
class Scope:
    """What a feed covers, and how it describes itself."""

    title: str
    subtitle: str
    link: str  # the page the feed follows
    url: str  # the feed's own address (with the query string that matters)
    recommendations: QuerySet | None  # None: all
    updates: Q | None = None  # None: the published updates on ``recommendations``
    root: str = ""  # "https://host", for the entries' ids


@dataclass
class Item:
    change: PublicChange
    link: str  # the recommendation's page
    guid: str  # the page's absolute address with the entry's fragment


class ChangesFeed(Feed):
    """The whole tracker; the other feeds narrow ``scope``."""

    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs) -> Scope:
        scope = self.scope(request, *args, **kwargs)
        scope.root = request.build_absolute_uri("/").rstrip("/")
        if Recommendation.objects.with_demo_values().exists():
            scope.subtitle = f"{scope.subtitle} {gettext('Demonstration data, not official.')}"
        return scope

    def scope(self, request) -> Scope:
        return Scope(
            title=gettext("IER Tracker: changes to the IER recommendations"),
            subtitle=gettext(
                "Public changes and published progress updates of the %(count)s IER "
                "recommendations, newest first."
            )
            % {"count": NUMBER_MAX},
            link=reverse("recommendations:dashboard"),
            url=reverse("recommendations:changes_feed"),
            recommendations=None,
        )

    # The feed

    def title(self, scope: Scope) -> str:
        return _xml(scope.title)

    def subtitle(self, scope: Scope) -> str:
        return _xml(scope.subtitle)

    def link(self, scope: Scope) -> str:
        return scope.link

    def feed_url(self, scope: Scope) -> str:
        return scope.url

    def feed_guid(self, scope: Scope) -> str:
        return scope.root + scope.url

    def author_name(self, scope: Scope) -> str:
        return gettext("IER Tracker")

    def items(self, scope: Scope) -> list[Item]:
        changes = public_changes(scope.recommendations, updates=scope.updates, limit=MAX_ENTRIES)
        items = []
        for change in changes:
            link = reverse("recommendations:detail", args=[change.code])
            items.append(Item(change, link, f"{scope.root}{link}#{change.key}"))
        return items

    # Each entry

    def item_title(self, item: Item) -> str:
        return _xml(Truncator(entry_title(item.change)).chars(TITLE_CHARACTERS))

    def item_description(self, item: Item) -> str:
        return _xml(entry_html(item.change))

    def item_link(self, item: Item) -> str:
        return item.link

    def item_guid(self, item: Item) -> str:
        return item.guid

    def item_pubdate(self, item: Item):
        return item.change.entry.date

    def item_updateddate(self, item: Item):
        return item.change.entry.date

    def item_author_name(self, item: Item) -> str | None:
        update = item.change.entry.update
        return _xml(_author(update)) if update is not None and update.show_author else None


class RecommendationFeed(ChangesFeed):
    def scope(self, request, number: int) -> Scope:
        recommendation = get_object_or_404(
            Recommendation.objects.only("number", "short_title", "short_title_fr"), number=number
        )
        code = recommendation.code
        name = gettext("Recommendation %(code)s") % {"code": code}
        if recommendation.display_title:
            name = f"{name}: {recommendation.display_title}"
        return Scope(
            title=gettext("IER Tracker: %(name)s") % {"name": name},
            subtitle=gettext(
                "Public changes and published progress updates of recommendation %(code)s, "
                "newest first."
            )
            % {"code": code},
            link=recommendation.get_absolute_url(),
            url=reverse("recommendations:recommendation_feed", args=[code]),
            recommendations=Recommendation.objects.filter(pk=recommendation.pk),
        )


class MandateHolderFeed(ChangesFeed):
    def scope(self, request, slug: str) -> Scope:
        holder = get_object_or_404(MandateHolder, slug=slug)
        owned = Recommendation.objects.filter(
            Exists(
                MandateAssignment.objects.filter(
                    recommendation=OuterRef("pk"), mandate_holder=holder, role__in=OWNER_ROLES
                )
            )
        )
        return Scope(
            title=gettext("IER Tracker: %(name)s") % {"name": holder},
            subtitle=gettext(
                "Public changes and published progress updates of the recommendations "
                "%(holder)s leads or contributes to, and its published progress updates on "
                "others, newest first."
            )
            % {"holder": holder.short_name},
            link=holder.get_absolute_url(),
            url=reverse("recommendations:mandate_holder_feed", args=[holder.slug]),
            recommendations=owned,
            updates=Q(recommendation__in=owned) | Q(mandate_holder=holder),
        )


class MatrixFeed(ChangesFeed):
    def scope(self, request) -> Scope:
        filterset = RecommendationFilterSet(request.GET)
        filters = describe_filters(active_filters(filterset, filterset.data))
        # The query that matters to the feed: the filters in force, without what was ignored,
        # the sort order or the page.
        params = QueryDict(mutable=True)
        for name in filterset.filters:
            values = [value for value in filterset.data.getlist(name) if value != ""]
            if name != "sort" and name not in filterset.form.errors and values:
                params.setlist(name, values)
        query = f"?{params.urlencode()}" if params else ""
        if filters:
            about = "; ".join(filters)
            title = gettext("IER Tracker: Matrix, %(filters)s") % {"filters": about}
            subtitle = gettext(
                "Public changes and published progress updates of the recommendations matching "
                "the filters (%(filters)s), newest first."
            ) % {"filters": about}
        else:
            title = gettext("IER Tracker: Matrix, all recommendations")
            subtitle = gettext(
                "Public changes and published progress updates of all the recommendations in "
                "the Matrix (no filter), newest first."
            )
        return Scope(
            title=title,
            subtitle=" ".join([subtitle, *filterset.warnings]),
            link=reverse("recommendations:matrix") + query,
            url=reverse("recommendations:matrix_feed") + query,
            recommendations=filterset.qs,
        )


changes_feed = require_safe(ChangesFeed())
matrix_feed = require_safe(MatrixFeed())
mandate_holder_feed = require_safe(MandateHolderFeed())
_recommendation_feed = RecommendationFeed()


@require_safe
def recommendation_feed(request, code: Code):
    """As the recommendation's page: R014, r14 and 14 redirect, R999 and abc are 404s."""
    if redirect_to := canonical_redirect(request, code):
        return redirect_to
    return _recommendation_feed(request, number=code.number)


#
# An entry's title and content
#


def _author(update: ProgressUpdate) -> str:
    return update.author.get_full_name() or update.author.get_username()


def entry_title(change: PublicChange) -> str:
    """ "R14: Implementation status: In progress", "R14: update from OTP"."""
    entry = change.entry
    parts = []
    if entry.update is not None:
        parts.append(
            gettext("update from %(holder)s") % {"holder": entry.update.mandate_holder.short_name}
        )
    for item in entry.changes:
        if item.long:
            parts.append(gettext("%(field)s changed") % {"field": item.label})
        else:
            parts.append(gettext("%(label)s: %(value)s") % {"label": item.label, "value": item.new})
    if not parts:
        parts.append(gettext("Recorded in the tracker."))
    return gettext("%(code)s: %(what)s") % {"code": change.code, "what": "; ".join(parts)}


def _text(value: str) -> str:
    """Plain text as HTML: escaped, its line breaks kept."""
    return linebreaksbr(value, autoescape=True)


def entry_html(change: PublicChange) -> str:
    """The entry as the recommendation's page shows it in its history, as HTML: every value
    escaped, nobody's name but an update's author where the Secretariat chose to show it."""
    entry = change.entry
    date = timezone.localtime(entry.date)
    parts = [
        format_html(
            '<p><time datetime="{}">{}</time> · {}</p>',
            date.isoformat(),
            dateformat.format(date, "j F Y, H:i e"),
            entry.source,
        )
    ]
    if entry.reason:
        parts.append(format_html("<p>{} {}</p>", gettext("Reason:"), entry.reason))
    if entry.changes:
        rows = []
        for item in entry.changes:
            if item.long:
                rows.append(
                    format_html(
                        "<li><strong>{}</strong><p><strong>{}</strong> {}</p>"
                        "<p><strong>{}</strong> {}</p></li>",
                        gettext("%(field)s changed") % {"field": item.label},
                        gettext("Before:"),
                        _text(item.old),
                        gettext("After:"),
                        _text(item.new),
                    )
                )
            else:
                rows.append(
                    format_html(
                        "<li><strong>{}:</strong> <del>{}</del> → <ins>{}</ins></li>",
                        item.label,
                        item.old,
                        item.new,
                    )
                )
        parts.append(format_html("<ul>{}</ul>", mark_safe("".join(rows))))
    elif entry.is_creation:
        parts.append(format_html("<p>{}</p>", gettext("Recorded in the tracker.")))
    if entry.update is not None:
        parts.append(update_html(entry.update))
    return "".join(parts)


def update_html(update: ProgressUpdate) -> str:
    """A published update as the page shows it (includes/progress_update.html)."""
    parts = [
        format_html(
            "<h3>{}</h3>",
            gettext("Update from %(holder)s, %(start)s to %(end)s")
            % {
                "holder": update.mandate_holder.short_name,
                "start": dateformat.format(update.period_start, "j M Y"),
                "end": dateformat.format(update.period_end, "j M Y"),
            },
        )
    ]
    if update.show_author:
        parts.append(
            format_html("<p>{}</p>", gettext("Reported by %(name)s") % {"name": _author(update)})
        )
    parts.append(
        format_html_join(
            "",
            "<h4>{}</h4><p>{}</p>",
            (
                (label, _text(text))
                for label, text in (
                    (gettext("Action taken"), update.action_taken),
                    (gettext("Impediments"), update.impediments),
                    (gettext("Next steps"), update.next_steps),
                )
                if text
            ),
        )
    )
    proposed = [
        str(status)
        for status in (update.proposed_assessment_status, update.proposed_implementation_status)
        if status is not None
    ]
    if proposed:
        parts.append(format_html("<p>{} {}</p>", gettext("Proposed:"), ", ".join(proposed)))
    if update.evidence:
        evidence = (
            format_html('<a href="{}">{}</a>', update.evidence, update.evidence)
            if update.evidence_is_url
            else update.evidence
        )
        parts.append(format_html("<p>{} {}</p>", gettext("Evidence:"), evidence))
    return "".join(parts)
