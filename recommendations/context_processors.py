from django.utils.functional import SimpleLazyObject

from recommendations.models import Recommendation

DEMO_ANSWER_SECONDS = 24 * 3600  # a version lasts until the next change: often not a day


def demo_present(version) -> bool:
    """Whether the database holds demonstration data. ``version`` is the data version the
    request read (None: ask the database): nothing changes the answer without replacing the
    version (recommendations/caching.py), so it is kept in the cache under the version and the
    database is asked once per version (per process, or once in all with Redis)."""
    from recommendations.caching import call_cache

    key = f"demo-data-present:{version.token}" if version is not None else None
    present = call_cache("get", key) if key else None
    if present is None:
        present = Recommendation.objects.with_demo_values().exists()
        if key:
            call_cache("set", key, present, DEMO_ANSWER_SECONDS)
    return present


def demo_data(request):
    """``demo_data_present``: whether the banner "Demonstration data, not official" shows.

    Lazy, so a page that does not render the banner makes no query for it; and known without a
    query on an anonymous visitor's page once it was read under the same data version (the
    public cache's middleware reads the version first).
    """
    return {
        "demo_data_present": SimpleLazyObject(
            lambda: demo_present(getattr(request, "data_version", None))
        )
    }


def reporting_links(request):
    """``reporting_links``: which reporting pages the navigation offers the signed-in user.

    Lazy: read only for a signed-in user, so public pages make no query for it.
    """

    def links():
        from recommendations.roles import is_focal_point, is_reviewer

        return {"focal_point": is_focal_point(request.user), "reviewer": is_reviewer(request.user)}

    return {"reporting_links": SimpleLazyObject(links)}
