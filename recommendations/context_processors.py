from django.utils.functional import SimpleLazyObject

from recommendations.models import Recommendation


def demo_data(request):
    """``demo_data_present``: whether the banner "Demonstration data, not official" shows.

    Lazy, so a page that does not render the banner makes no query for it.
    """
    return {
        "demo_data_present": SimpleLazyObject(
            lambda: Recommendation.objects.with_demo_values().exists()
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
