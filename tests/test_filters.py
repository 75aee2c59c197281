"""RecommendationFilterSet: filters, lenient parameters, and facet counts checked by brute force."""

import pytest
from django.db import connection
from django.http import QueryDict

from recommendations.demo import demo_seed
from recommendations.filters import NONE, RecommendationFilterSet, Vocabulary
from recommendations.models import (
    ChangeSource,
    MandateAssignment,
    MandateHolder,
    Recommendation,
    Topic,
)
from recommendations.services import Assignment, recommendation_update

pytestmark = pytest.mark.django_db


def change(recommendation, user, **changes):
    recommendation_update(
        recommendation, changes=changes, user=user, reason="test", source=ChangeSource.ADMIN
    )


def numbers(params) -> list[int]:
    return [r.number for r in RecommendationFilterSet(params).qs]


def test_no_parameters_give_all_384_in_number_order():
    assert numbers({}) == list(range(1, 385))
    assert numbers(None) == list(range(1, 385))


@pytest.mark.parametrize(
    ("q", "expected"),
    [("R14", [14]), ("14", [14]), ("r014", [14]), ("R14-R20", list(range(14, 21)))],
)
def test_q_matches_numbers_and_ranges(q, expected):
    assert numbers({"q": q}) == expected


def test_q_matches_words_of_the_text():
    # R227 is the one recommendation whose text the sources give ("...gravity of the crimes").
    assert numbers({"q": "gravity"}) == [227]
    assert numbers({"q": "no such word anywhere"}) == []


def test_q_uses_the_full_text_index_on_postgresql():
    queryset = Recommendation.objects.search("gravity")
    sql, params = queryset.query.sql_with_params()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "recommendation_search_en" in plan
        assert "recommendation_search_fr" in plan
    else:
        assert "LIKE" in sql.upper()


def test_a_section_includes_its_subsections():
    parent = numbers({"section": "I.A"})
    children = set(numbers({"section": "I.A.1"})) | set(numbers({"section": "I.A.4"}))
    assert children
    assert children < set(parent)
    assert all(
        r.section.key == "I.A" or r.section.key.startswith("I.A.")
        for r in RecommendationFilterSet({"section": "I.A"}).qs
    )


def test_values_of_one_facet_are_ored_and_facets_are_anded():
    cluster_i, cluster_ii = numbers({"cluster": "I"}), numbers({"cluster": "II"})
    assert numbers({"cluster": ["I", "II"]}) == sorted(cluster_i + cluster_ii)
    court = set(numbers({"responsibility": "court"}))
    assert numbers({"cluster": "I", "responsibility": "court"}) == sorted(set(cluster_i) & court)


def test_none_selects_what_is_not_yet_recorded():
    assert numbers({"responsibility": "none"}) == [
        r.number for r in Recommendation.objects.filter(responsibility="")
    ]
    assert numbers({"cluster": "none"}) == [
        r.number for r in Recommendation.objects.filter(cluster__isnull=True)
    ]
    assert 363 not in numbers({"assessment": "none"})  # R363's status comes from a source


def test_mandate_holder_counts_owners_only(rec, secretariat_user):
    registry = MandateHolder.objects.get(slug="registry")
    change(rec(5), secretariat_user, assignments=[Assignment(registry)])
    assert numbers({"mandate_holder": "registry"}) == [5]
    # R27 names the CBF in a procedural step only: that is not ownership.
    assert MandateAssignment.objects.filter(
        recommendation__number=27, role=MandateAssignment.Role.PROCEDURAL
    ).exists()
    assert 27 not in numbers({"mandate_holder": "cbf"})
    assert 27 in numbers({"mandate_holder": NONE})
    assert 5 not in numbers({"mandate_holder": NONE})


def test_topic_filter(rec, secretariat_user):
    topic = Topic.objects.order_by("order").first()
    change(rec(9), secretariat_user, topics=[topic])
    assert numbers({"topic": topic.key}) == [9]
    assert 9 not in numbers({"topic": NONE})


def test_changed_since(rec, secretariat_user):
    Recommendation.objects.update(updated_at="2021-01-01T00:00:00Z")
    change(rec(3), secretariat_user, priority="yes")
    assert numbers({"changed_since": "2025-01-01"}) == [3]


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("assessment", lambda r: r.assessment_status.order if r.assessment_status else 999),
        (
            "-implementation",
            lambda r: -r.implementation_status.order if r.implementation_status else 999,
        ),
    ],
)
def test_sorting_puts_unrecorded_last_and_breaks_ties_by_number(sort, key):
    demo_seed()
    rows = list(RecommendationFilterSet({"sort": sort}).qs)
    assert [r.number for r in rows] == [r.number for r in sorted(rows, key=key)]
    first_tie = [r.number for r in rows if key(r) == key(rows[0])]
    assert first_tie == sorted(first_tie)


def test_unknown_values_are_dropped_with_a_warning_and_the_rest_applies():
    filterset = RecommendationFilterSet(
        QueryDict("cluster=I&cluster=abc&assessment=bogus&sort=sideways&changed_since=yesterday")
    )
    assert [r.number for r in filterset.qs] == numbers({"cluster": "I"})
    warnings = " ".join(filterset.warnings)
    for fragment in ("“abc”", "“bogus”", "“sideways”", "“yesterday”", "Cluster", "Sort by"):
        assert fragment in warnings
    assert filterset.active == {"cluster": ["I"]}


def brute_force_count(params: dict, facet: str, value: str, vocabulary: Vocabulary) -> int:
    """Rows the Matrix shows when ``facet`` is set to ``value`` alone, the rest unchanged."""
    return RecommendationFilterSet({**params, facet: [value]}, vocabulary=vocabulary).qs.count()


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"cluster": ["I"]},
        {"cluster": ["I", "none"], "assessment": ["positively_assessed", "none"]},
        {"section": ["I.A"], "implementation": ["in_progress"], "mandate_holder": ["registry"]},
        {"responsibility": ["court", "assembly"], "topic": ["none"], "q": "R1-R200"},
        {"priority": ["unknown"], "mandate_holder": ["none", "otp"], "assessment": ["none"]},
    ],
)
def test_every_facet_count_equals_the_rows_a_click_on_it_gives(params):
    demo_seed()
    filterset = RecommendationFilterSet(params)
    total = filterset.count_facets()
    assert total == filterset.qs.count()
    for name in filterset.facet_names:
        for option in filterset.options[name]:
            expected = brute_force_count(params, name, option.value, filterset.vocabulary)
            assert option.count == expected, (name, option)
            assert option.selected == (option.value in params.get(name, []))


def test_zero_counts_are_listed_not_hidden():
    filterset = RecommendationFilterSet({"cluster": ["II"]})
    filterset.count_facets()
    options = {o.value: o for o in filterset.options["section"]}
    assert options["I.A"].count == 0  # a cluster I section, shown with 0 under cluster II
    assert len(options) == 37 + 1  # every section and "Not yet recorded"


def test_facet_counts_take_three_queries_after_the_option_lists(django_assert_num_queries):
    for params in ({}, {"cluster": ["II"], "mandate_holder": ["none"], "q": "court"}):
        filterset = RecommendationFilterSet(params)
        assert all(filterset.options[name] for name in filterset.facet_names)  # read in __init__
        with django_assert_num_queries(3):
            filterset.count_facets()


def test_many_unknown_values_make_one_short_message():
    filterset = RecommendationFilterSet({"topic": [f"t{n}" for n in range(50)] + ["t1"]})
    assert filterset.qs.count() == 384
    assert filterset.warnings == [
        "Topic: “t0”, “t1”, “t2”, “t3”, “t4”… are not known values and were ignored."
    ]
