from django.urls import path
from django.views.generic import RedirectView

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("matrix/", views.matrix, name="matrix"),
    path("recommendations/", RedirectView.as_view(pattern_name="recommendations:matrix")),
    path("recommendations/<str:code>/", views.recommendation_detail, name="detail"),
    path("mandate-holders/", views.mandate_holder_list, name="mandate_holders"),
    path("mandate-holders/<slug:slug>/", views.mandate_holder_detail, name="mandate_holder"),
]
