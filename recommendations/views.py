from django.shortcuts import render

from recommendations.models import Recommendation


def home(request):
    """All 384 recommendations in number order (the public Matrix comes with issue 3)."""
    recommendations = Recommendation.objects.for_list()
    return render(request, "recommendations/home.html", {"recommendations": recommendations})
