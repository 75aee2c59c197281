from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def stamp_history_source(sender, instance, history_instance, **kwargs):
    """Copy the path a change came through onto its history record.

    django-simple-history documents this signal as the way to fill extra history columns;
    the services set ``_history_source`` beside ``_change_reason`` and ``_history_user``.
    """
    history_instance.history_source = getattr(instance, "_history_source", "") or ""
    history_instance.history_progress_update = getattr(instance, "_history_progress_update", None)


def mark_public_change(sender, history_instance, **kwargs):
    """Whether a recommendation's new history record is a public change, once its many-to-many
    snapshots are written (simple-history writes them before this signal)."""
    from recommendations.history import mark_public_changes

    mark_public_changes([history_instance.history_id])


def sync_groups(sender, **kwargs):
    from recommendations.roles import ensure_groups

    ensure_groups()


class RecommendationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recommendations"
    verbose_name = _("IER recommendations")

    def ready(self):
        from simple_history.signals import (
            post_create_historical_record,
            pre_create_historical_record,
        )

        from recommendations import audit  # connects the audit log's receivers

        audit.connect_devices()

        pre_create_historical_record.connect(
            stamp_history_source, dispatch_uid="recommendations.stamp_history_source"
        )
        post_create_historical_record.connect(
            mark_public_change,
            sender=self.get_model("HistoricalRecommendation"),
            dispatch_uid="recommendations.mark_public_change",
        )
        # Runs after django.contrib.auth has created this app's permissions (auth is listed
        # first in INSTALLED_APPS, so its post_migrate receiver is connected first).
        post_migrate.connect(sync_groups, sender=self, dispatch_uid="recommendations.sync_groups")

        # The public pages' cache: a change to what pages show replaces the data version when
        # it commits (recommendations/caching.py).
        from recommendations.caching import bump_after_migrate, connect_receivers

        connect_receivers(self)
        post_migrate.connect(
            bump_after_migrate, sender=self, dispatch_uid="recommendations.bump_after_migrate"
        )
