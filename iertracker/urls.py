from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("IER Tracker back-office")
admin.site.site_title = _("IER Tracker")
admin.site.index_title = _("ASP Secretariat")

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),  # ADMIN_URL, "admin/" unless set
    path("i18n/", include("django.conf.urls.i18n")),
    # Log in, log out, password change and reset: Django's own views, the site's templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("recommendations.api")),  # the public JSON API, read-only
    path("", include("recommendations.urls")),
]
