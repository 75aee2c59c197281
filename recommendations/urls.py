from django.urls import path, register_converter
from django.views.generic import RedirectView

from recommendations import views
from recommendations.exports import FORMATS


class ExportFormat:
    """The file formats of the downloads: ``/matrix.xlsx``, ``/recommendations/R14.csv``."""

    regex = "|".join(FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "format")

app_name = "recommendations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix.<format:extension>", views.matrix_export, name="matrix_export"),
    path("recommendations/", RedirectView.as_view(pattern_name="recommendations:matrix")),
    path("recommendations/<str:code>/", views.recommendation_detail, name="detail"),
    path(
        "recommendations/<str:code>.<format:extension>",
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
]
