from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "IER Tracker back-office"
admin.site.site_title = "IER Tracker"
admin.site.index_title = "ASP Secretariat"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("recommendations.urls")),
]
