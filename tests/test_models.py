import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from recommendations.models import (
    AssessmentStatus,
    Cluster,
    Recommendation,
    Section,
    parse_recommendation_number,
    parse_recommendation_numbers,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", [0, 385])
def test_it_rejects_numbers_outside_1_to_384_with_a_clear_message(number):
    with pytest.raises(ValidationError) as excinfo:
        Recommendation(number=number).full_clean()
    assert excinfo.value.message_dict["number"] == ["Recommendation numbers run from R1 to R384."]


@pytest.mark.parametrize("number", [0, 385])
def test_the_database_refuses_numbers_outside_the_range(number):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(number=number)


def test_it_rejects_a_duplicate_number_with_a_clear_message():
    with pytest.raises(ValidationError) as excinfo:
        Recommendation(number=14).full_clean()
    assert excinfo.value.message_dict["number"] == ["This recommendation number is already taken."]
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(number=14)


def test_numbers_display_as_r_and_sort_numerically():
    numbers = list(Recommendation.objects.values_list("number", flat=True)[:12])
    assert numbers == list(range(1, 13))
    assert str(Recommendation.objects.get(number=2)) == "R2"
    codes = [r.code for r in Recommendation.objects.filter(number__in=[10, 2, 100])]
    assert codes == ["R2", "R10", "R100"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("R14", 14), ("r14", 14), ("R014", 14), ("14", 14), ("Rec. 14", 14), ("Recommendation 7", 7)],
)
def test_it_reads_a_number_written_any_usual_way(text, expected):
    assert parse_recommendation_number(text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("R14", [14]),
        ("R14-R20", list(range(14, 21))),
        ("R20 - R14", list(range(14, 21))),
        ("R14 to R16", [14, 15, 16]),
        ("R2, R10", [2, 10]),
        ("R 5", [5]),
        ("R380-R999", [380, 381, 382, 383, 384]),
        ("working culture", None),
        ("R14 culture", None),
        ("", None),
    ],
)
def test_it_parses_number_queries(query, expected):
    assert parse_recommendation_numbers(query) == expected


def test_search_matches_numbers_ranges_and_text():
    assert [r.number for r in Recommendation.objects.search("R14")] == [14]
    assert [r.number for r in Recommendation.objects.search("14")] == [14]
    assert Recommendation.objects.search("R14-R20").count() == 7
    # R227 is the only recommendation whose text the sources give.
    assert [r.number for r in Recommendation.objects.search("gravity")] == [227]
    assert Recommendation.objects.search("").count() == 384


def test_a_section_must_belong_to_the_recommendations_cluster():
    recommendation = Recommendation.objects.get(number=300)
    recommendation.cluster = Cluster.objects.get(code="II")
    recommendation.section = Section.objects.get(key="I.A.4")
    with pytest.raises(ValidationError) as excinfo:
        recommendation.full_clean()
    assert "Section I.A.4 is not in cluster II." in excinfo.value.message_dict["section"]


def test_placement_lists_cluster_then_each_section_level():
    recommendation = Recommendation.objects.for_list().get(number=50)
    assert recommendation.placement == [
        "I. Governance",
        "C. OTP Governance",
        "3. OTP Management and Leadership Structures",
        "(2) Executive Committee (ExCom)",
    ]
    assert Recommendation.objects.get(number=227).placement == []  # its place is not recorded
    assert Recommendation.objects.get(number=300).placement == []


def test_vocabulary_labels_follow_the_language():
    status = AssessmentStatus.objects.get(key="positively_assessed")
    with translation.override("fr"):
        assert status.label == "Évaluée positivement"
    with translation.override("en"):
        assert status.label == "Positively assessed"
    status.label_fr = ""
    with translation.override("fr"):
        assert status.label == "Positively assessed"
