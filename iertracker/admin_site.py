"""The back-office's admin site: Django's, with every write in one transaction.

Django wraps its add, change and delete forms in a transaction, but not the changelist's
actions, simple-history's pages, or a view a ModelAdmin adds. Here every admin view answering a
POST (or another unsafe method) runs inside ``transaction.atomic``: a crash part-way through
leaves nothing of the change behind.
"""

import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import transaction
from django.utils.translation import gettext_lazy as _

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def atomic_writes(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            return view(request, *args, **kwargs)

    return wrapper


class BackOfficeSite(admin.AdminSite):
    site_header = _("IER Tracker back-office")
    site_title = _("IER Tracker")
    index_title = _("ASP Secretariat")

    def admin_view(self, view, cacheable=False):
        return super().admin_view(atomic_writes(view), cacheable)


class BackOfficeConfig(AdminConfig):
    default_site = "iertracker.admin_site.BackOfficeSite"
