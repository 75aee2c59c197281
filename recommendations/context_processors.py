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
