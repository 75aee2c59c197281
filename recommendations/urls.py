from django.urls import path
from django.views.generic import RedirectView

from recommendations import (
    converters,  # noqa: F401 (registers <rec:>, <format:>, <sheet:>)
    edition_views,
    feeds,
    reporting_views,
    views,
)

app_name = "recommendations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix.<format:extension>", views.matrix_export, name="matrix_export"),
    path("recommendations/", RedirectView.as_view(pattern_name="recommendations:matrix")),
    path("recommendations/<rec:code>/", views.recommendation_detail, name="detail"),
    path(
        "recommendations/<rec:code>.<format:extension>",
        views.recommendation_export,
        name="detail_export",
    ),
    path("mandate-holders/", views.mandate_holder_list, name="mandate_holders"),
    path("mandate-holders/<slug:slug>/", views.mandate_holder_detail, name="mandate_holder"),
    path(
        "mandate-holders/<slug:slug>.<format:extension>",
        views.mandate_holder_export,
        name="mandate_holder_export",
    ),
    path(
        "mandate-holders/<slug:slug>/report/",
        reporting_views.mandate_holder_report,
        name="mandate_holder_report",
    ),
    path(
        "mandate-holders/<slug:slug>/report.<sheet:extension>",
        reporting_views.mandate_holder_report_export,
        name="mandate_holder_report_export",
    ),
    # Editions of the Matrix, comparisons, open data.
    path("editions/", edition_views.edition_list, name="editions"),
    path("editions/<slug:slug>/", edition_views.edition, name="edition"),
    path("editions/<slug:slug>/progress/", edition_views.edition_progress, name="edition_progress"),
    path(
        "editions/<slug:slug>.<format:extension>",
        edition_views.edition_export,
        name="edition_export",
    ),
    path("compare/", edition_views.compare_view, name="compare"),
    path("compare.<format:extension>", edition_views.compare_export, name="compare_export"),
    path("open-data/", edition_views.open_data, name="open_data"),
    # Progress reporting: focal points, and the Secretariat's review.
    path("reporting/", reporting_views.my_recommendations, name="reporting"),
    path(
        "reporting/my-recommendations.<format:extension>",
        reporting_views.my_export,
        name="my_export",
    ),
    path("reporting/<rec:code>/new/", reporting_views.update_create, name="update_create"),
    path("reporting/updates/<int:pk>/", reporting_views.update_detail, name="update"),
    path("reporting/review/", reporting_views.review_queue, name="review_queue"),
    path("reporting/review/<int:pk>/", reporting_views.review, name="review"),
    path("reporting/overview/", reporting_views.overview, name="overview"),
    # Atom feeds
    path("feeds/changes.atom", feeds.changes_feed, name="changes_feed"),
    path("matrix/feed.atom", feeds.matrix_feed, name="matrix_feed"),
    path(
        "recommendations/<rec:code>/feed.atom",
        feeds.recommendation_feed,
        name="recommendation_feed",
    ),
    path(
        "mandate-holders/<slug:slug>/feed.atom",
        feeds.mandate_holder_feed,
        name="mandate_holder_feed",
    ),
]
