from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from iertracker.accounts import PasswordResetView
from iertracker.mfa import two_step

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),  # ADMIN_URL, "admin/" unless set
    # The language switcher on every page posts here without a CSRF token: a token would make
    # each page personal, so no page could be cached for everyone. Its only effect is the
    # language cookie (and a redirect Django checks stays on this site).
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    # Log in, log out, password change and reset: Django's own views, the site's templates;
    # the reset e-mail's link is built from SITE_URL, never from the request's Host.
    path("accounts/password_reset/", PasswordResetView.as_view(), name="password_reset"),
    # Two-step verification: the code after the password, enrolment, recovery codes.
    path("accounts/two-step/", two_step, name="two_step"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("recommendations.api")),  # the public JSON API, read-only
    path("", include("recommendations.urls")),
]

# A 503 with Retry-After while the database does not answer, else the 500 page.
handler500 = "iertracker.health.server_error"
