"""The public pages: Matrix, recommendation page, dashboard, mandate-holder pages."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from recommendations.demo import demo_seed
from recommendations.editions import publish_edition
from recommendations.filters import RecommendationFilterSet
from recommendations.models import (
    AssessmentStatus,
    ChangeSource,
    MandateHolder,
    Recommendation,
)
from recommendations.services import Assignment, recommendation_update
from tests.conftest import DATA_VERSION

pytestmark = pytest.mark.django_db

# The Matrix: the data version, 6 option lists, 3 facet-count queries, the rows, their
# mandate-holders, and whether demonstration data is present (the banner).
MATRIX_QUERIES = 12


def change(recommendation, user, reason="test", source=ChangeSource.ADMIN, **changes):
    return recommendation_update(
        recommendation, changes=changes, user=user, reason=reason, source=source
    )


def text(response) -> str:
    return response.content.decode()


def row_of(content: str, code: str) -> str:
    start = content.index(f'href="/recommendations/{code}/"')
    return content[start : content.index("</tr>", start)]


#
# The Matrix
#


def test_the_matrix_lists_the_recommendations_in_number_order_100_a_page(client):
    response = client.get("/matrix/")
    assert response.status_code == 200
    assert [r.number for r in response.context["rows"]] == list(range(1, 101))
    content = text(response)
    assert "Showing 384 of 384 recommendations" in content
    assert content.index('href="/recommendations/R2/"') < content.index(
        'href="/recommendations/R10/"'
    )
    page_2 = client.get("/matrix/?page=2")
    assert [r.number for r in page_2.context["rows"]] == list(range(101, 201))
    everything = client.get("/matrix/?per_page=400")
    assert len(everything.context["rows"]) == 384


def test_the_matrix_says_what_is_not_yet_recorded(client):
    content = text(client.get("/matrix/"))
    r14 = row_of(content, "R14")
    assert "Text not yet recorded" in r14
    assert "Working Culture at the Court" in r14  # its section, from the sources
    assert "Court" in r14  # its responsibility, from the sources
    assert r14.count("Not yet recorded") == 3  # mandate-holders and both statuses
    # R27 names the CBF in a procedural step only: not shown as the owner.
    r27 = row_of(content, "R27")
    assert "CBF" not in r27


def test_long_texts_are_truncated_and_expandable(client):
    content = text(client.get("/matrix/?q=R227"))
    row = row_of(content, "R227")
    assert "<details>" in row
    assert "Gravity should also be taken into account at Phase 1 of PEs." in row  # full text
    summary = row[row.index("<summary>") : row.index("</summary>")]
    assert "Phase 1" not in summary
    assert "…" in summary


def test_filters_combine_and_the_summary_counts_the_rows(client):
    response = client.get("/matrix/?cluster=I&responsibility=court&per_page=400")
    expected = Recommendation.objects.filter(cluster__code="I", responsibility="court")
    assert [r.number for r in response.context["rows"]] == [r.number for r in expected]
    assert f"Showing {expected.count()} of 384 recommendations" in text(response)


def test_each_option_shows_its_count_zero_included(client):
    content = text(client.get("/matrix/?cluster=II"))
    court = re.search(r'for="f-responsibility-court">Court <span class="count">\((\d+)\)', content)
    assert court.group(1) == "0"  # every recommendation with a responsibility is in cluster I
    assert 'id="f-cluster-II" name="cluster" value="II" checked' in content


def test_active_filters_can_be_removed_one_by_one_or_all(client):
    response = client.get("/matrix/?cluster=I&cluster=II&responsibility=court&sort=-number")
    active = {(f.label, f.value): f.remove_url for f in response.context["active_filters"]}
    remove_ii = parse_qs(urlsplit(active["Cluster", "II. Human Resources"]).query)
    assert remove_ii == {"cluster": ["I"], "responsibility": ["court"], "sort": ["-number"]}
    assert 'href="/matrix/" class="clear-all"' in text(response)


def test_sortable_columns_toggle_and_say_so(client):
    response = client.get("/matrix/?sort=-assessment&cluster=I")
    columns = {c.heading: c for c in response.context["columns"]}
    assessment = columns["Assessment status"]
    assert assessment.aria_sort == "descending"
    assert parse_qs(urlsplit(assessment.url).query) == {"sort": ["assessment"], "cluster": ["I"]}
    assert parse_qs(urlsplit(columns["No."].url).query)["sort"] == ["number"]
    assert columns["Recommendation"].url == ""  # not sortable
    assert 'aria-sort="descending"' in text(response)


def test_links_keep_the_whole_state(client):
    response = client.get("/matrix/?cluster=I&sort=-number&per_page=25&page=2")
    assert [r.number for r in response.context["rows"]][:2] == [
        r.number for r in Recommendation.objects.filter(cluster__code="I").order_by("-number")
    ][25:27]
    for url in (response.context["next_url"], response.context["previous_url"]):
        params = parse_qs(urlsplit(url).query)
        assert params["cluster"] == ["I"]
        assert params["sort"] == ["-number"]
        assert params["per_page"] == ["25"]


def test_no_result_says_so_and_offers_to_clear(client):
    response = client.get("/matrix/?q=no+such+word+anywhere")
    content = text(response)
    assert response.status_code == 200
    assert "No recommendation matches these filters." in content
    assert "Showing 0 of 384 recommendations" in content
    assert '<a href="/matrix/">Clear all filters</a>' in content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("cluster=abc", "Cluster: “abc” is not a known value and was ignored."),
        ("assessment=unknown", "Assessment status: “unknown” is not a known value"),
        ("changed_since=31-02-2024", "Changed since: “31-02-2024” was ignored"),
        ("sort=sideways", "Sort by: “sideways” was ignored"),
        ("page=99999", "There is no page 99999; showing the last page, 4."),
        ("page=abc", "Page “abc” is not a page number."),
        ("page=-1", "Page “-1” is not a page number."),
        ("per_page=1000000", "Rows per page: “1000000” is not offered; showing 100."),
        ("q=" + "x" * 300, "Search: “xxxx"),
    ],
)
def test_bad_parameters_give_a_normal_page_with_a_message(client, query, message):
    response = client.get(f"/matrix/?{query}")
    assert response.status_code == 200
    assert message in text(response)
    assert response.context["rows"]


def test_the_matrix_takes_the_same_number_of_queries_whatever_the_data(
    client, django_assert_num_queries
):
    with django_assert_num_queries(MATRIX_QUERIES):
        client.get("/matrix/")
    demo_seed()
    for url in (
        "/matrix/",
        "/matrix/?per_page=400",
        "/matrix/?cluster=I&cluster=II&section=I.B&priority=unknown&topic=none",
        "/matrix/?q=R1-R300&sort=-changed&page=2&changed_since=2020-01-01",
    ):
        with django_assert_num_queries(MATRIX_QUERIES):
            response = client.get(url)
        assert response.context["rows"]  # an empty page would skip the rows' queries


def test_internal_remarks_never_reach_the_public(client, rec, secretariat_user):
    change(rec(14), secretariat_user, internal_remarks="SECRET-NOTE", public_remarks="Public note")
    change(rec(14), secretariat_user, internal_remarks="SECRET-NOTE-2", reason="internal only")
    for url in ("/matrix/?q=R14", "/recommendations/R14/", "/"):
        content = text(client.get(url))
        assert "SECRET-NOTE" not in content
    page = text(client.get("/recommendations/R14/"))
    assert "Public note" in page
    assert "internal only" not in page  # a change to internal fields only is not listed


#
# The recommendation page
#


@pytest.mark.parametrize("spelling", ["r14", "R014", "14", "r014"])
def test_every_spelling_of_a_number_leads_to_the_same_page(client, spelling):
    response = client.get(f"/recommendations/{spelling}/")
    assert response.status_code == 301
    assert response["Location"] == "/recommendations/R14/"


@pytest.mark.parametrize("code", ["R999", "R0", "R385", "abc", "R14x"])
def test_an_unknown_recommendation_is_a_404_in_the_sites_style(client, code):
    response = client.get(f"/recommendations/{code}/")
    assert response.status_code == 404
    content = text(response)
    assert "Page not found" in content
    assert "The recommendations are numbered R1 to R384." in content
    assert 'class="site-nav"' in content


def test_the_recommendation_page_shows_what_is_known_and_says_what_is_not(client):
    content = text(client.get("/recommendations/R14/"))
    assert "Recommendation R14" in content
    assert "The text of this recommendation is not yet recorded." in content
    assert "Working Culture at the Court" in content  # its place in the report
    assert "<dd>Court</dd>" in content  # responsibility
    assert "Sources" in content
    assert 'href="/recommendations/R13/" rel="prev"' in content
    assert 'href="/recommendations/R15/" rel="next"' in content

    r227 = text(client.get("/recommendations/R227/"))
    assert "Gravity should also be taken into account at Phase 1 of PEs." in r227
    assert "The part and section of the report it belongs to are not recorded" in r227

    r363 = text(client.get("/recommendations/R363/"))
    assert "Positively assessed" in r363
    assert "What sources reported" in r363  # HRW at ASP22


def test_the_first_and_last_have_one_neighbour(client):
    assert 'rel="prev"' not in text(client.get("/recommendations/R1/")).split("prev-next")[1]
    assert 'rel="next"' not in text(client.get("/recommendations/R384/")).split("prev-next")[1]


def test_the_timeline_shows_what_changed_when_and_why_without_staff_names(
    client, rec, secretariat_user
):
    positive = AssessmentStatus.objects.get(key="positively_assessed")
    change(
        rec(20),
        secretariat_user,
        reason="Reported by the Review Mechanism",
        assessment_status=positive,
        assignments=[Assignment(MandateHolder.objects.get(slug="registry"))],
    )
    response = client.get("/recommendations/R20/")
    content = text(response)
    latest = response.context["timeline"][0]
    assert latest.reason == "Reported by the Review Mechanism"
    assert {(c.label, c.old, c.new) for c in latest.changes} >= {
        ("Assessment status", "Not yet recorded", "Positively assessed"),
        ("Mandate-holders", "Not yet recorded", "Registry (lead)"),
    }
    assert "Reported by the Review Mechanism" in content
    assert "Back-office" in content  # the path, not the person
    assert secretariat_user.username not in content
    assert "since " in content  # the date the assessment status last changed


def test_demonstration_entries_stay_out_of_the_public_timeline(client):
    demo_seed()
    response = client.get("/recommendations/R20/")
    assert all(entry.source != "Demonstration data" for entry in response.context["timeline"])
    assert "Demonstration data, not official." in text(response)  # the banner still says it


def test_the_recommendation_page_query_count_does_not_grow_with_its_history(
    client, rec, secretariat_user, django_assert_num_queries
):
    # the record, its assignments, topics, sources and progress statements; the history's two
    # counts, its page's keys (records, updates), records, two snapshots and updates; the demo
    # banner.
    with django_assert_num_queries(13):
        before = client.get("/recommendations/R20/").context["page"].paginator.count
    statuses = list(AssessmentStatus.objects.all())
    for status in statuses:
        change(rec(20), secretariat_user, assessment_status=status)
    with django_assert_num_queries(13):
        response = client.get("/recommendations/R20/")
    assert response.context["page"].paginator.count == before + len(statuses)


#
# The dashboard
#


def test_the_dashboard_states_the_headline_figures_with_their_source(client):
    content = text(client.get("/"))
    assert re.search(r"383\s*<span class=\"figure-of\">of 384</span>", content)
    assert "ICC-ASP/23/Res.4 para. 7" in content
    assert "an assessment status for 1 of 384 recommendations" in content  # R363


def test_every_chart_segment_links_to_exactly_its_rows(client):
    demo_seed()
    response = client.get("/")
    charts = response.context["charts"]
    assert {c.slug for c in charts} == {
        f"{axis}-by-{group}"
        for axis in ("assessment", "implementation")
        for group in ("cluster", "responsibility", "mandate-holder")
    }
    content = text(response)
    checked = 0
    for chart in charts:
        for bar in chart.bars:
            assert (
                bar.total == RecommendationFilterSet(parse_qs(urlsplit(bar.url).query)).qs.count()
            )
            for segment in bar.segments:
                params = parse_qs(urlsplit(segment.url).query)
                assert segment.count == RecommendationFilterSet(params).qs.count(), segment
                if segment.count:
                    assert f'<a href="{segment.url.replace("&", "&amp;")}"' in content
                checked += 1
    assert checked > 50
    # Spot-check through the page itself.
    segment = next(s for s in charts[0].bars[0].segments if s.count)
    page = client.get(segment.url + "&per_page=400")
    assert len(page.context["rows"]) == segment.count


def test_charts_are_svg_with_text_labels_and_a_data_table(client):
    demo_seed()
    content = text(client.get("/"))
    assert content.count('<figure class="chart"') == 6
    assert content.count('<svg class="bar"') >= 6
    assert content.count('<table class="data">') == 6
    assert "Show the data as a table" in content
    assert '<th scope="col">Positively assessed</th>' in content  # legend and table use labels
    assert "<script" not in content


def test_the_dashboard_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    # clusters, both status lists, mandate-holders, two grouped counts, the recorded counts,
    # the statements, the published editions, the last session and the demo banner.
    with django_assert_num_queries(11):
        client.get("/")
    demo_seed()
    with django_assert_num_queries(11):
        client.get("/")
    # With editions: + one grouped count for the trend charts, whatever their number.
    for number in range(3):
        publish_edition(title=f"Edition {number}", user=None, slug=f"e{number}")
    with django_assert_num_queries(12):
        client.get("/")


#
# Mandate-holders
#


@pytest.mark.public_cache  # the demo banner's answer, known for the data version
def test_the_mandate_holder_pages(client, rec, secretariat_user, django_assert_num_queries):
    registry = MandateHolder.objects.get(slug="registry")
    change(rec(5), secretariat_user, assignments=[Assignment(registry)])
    change(rec(6), secretariat_user, assignments=[Assignment(registry, role=2)])
    listing = text(client.get("/mandate-holders/"))
    assert 'href="/mandate-holders/registry/"' in listing
    linked = set(re.findall(r'href="/mandate-holders/([\w-]+)/"', listing))
    assert linked == set(MandateHolder.objects.values_list("slug", flat=True))

    # the holder, its chart counts, the vocabularies the rows show (clusters, sections, both
    # status lists, mandate-holders), its rows and their owners, procedural mentions,
    # sub-bodies, topics (the demo banner's answer is known: the list was asked first).
    with django_assert_num_queries(DATA_VERSION + 12):
        response = client.get("/mandate-holders/registry/")
    assert [r.number for r in response.context["rows"]] == [5, 6]
    content = text(response)
    assert "(contributing)" in row_of(content, "R6")
    assert 'href="/matrix/?mandate_holder=registry"' in content

    cbf = text(client.get("/mandate-holders/cbf/"))
    assert "Named in a procedural step" in cbf
    assert 'href="/recommendations/R27/"' in cbf
    assert client.get("/mandate-holders/nobody/").status_code == 404


def test_the_mandate_holder_list_takes_two_queries(client, django_assert_num_queries):
    # the holders with their counts, and the demo banner.
    with django_assert_num_queries(2):
        client.get("/mandate-holders/")


def test_recommendations_without_a_number_go_to_the_matrix(client):
    response = client.get("/recommendations/")
    assert response.status_code == 302
    assert response["Location"] == "/matrix/"


@pytest.mark.public_cache  # the data version is read, then the demo banner's answer known
def test_a_404_page_takes_one_query_then_none(client, django_assert_num_queries):
    with django_assert_num_queries(DATA_VERSION + 1):  # the demo banner
        response = client.get("/recommendations/R999/")
    assert response.status_code == 404
    with django_assert_num_queries(DATA_VERSION):  # its answer is known for this version
        response = client.get("/recommendations/R998/")
    assert response.status_code == 404


def test_the_back_office_links_to_the_public_pages(secretariat_client, rec):
    response = secretariat_client.get(f"/admin/recommendations/recommendation/{rec(14).pk}/change/")
    view_on_site = re.search(r'href="([^"]+)" class="viewsitelink"', response.content.decode())
    redirect = secretariat_client.get(view_on_site.group(1))
    assert redirect["Location"].endswith("/recommendations/R14/")


def test_printed_pages_carry_the_filters_and_the_date(client):
    today = timezone.now().strftime("%-d %B %Y")
    content = text(client.get("/matrix/?cluster=I&responsibility=court"))
    header = content[content.index('class="print-header"') : content.index('id="main"')]
    assert f"as of {today}" in header
    assert "Filters: Cluster: I. Governance; Responsibility: Court." in header
    assert "http://testserver/matrix/?cluster=I&amp;responsibility=court" in header
    detail = text(client.get("/recommendations/R14/"))
    assert f"as of {today}" in detail[detail.index('class="print-header"') :]
    stylesheet = (settings.BASE_DIR / "static/css/site.css").read_text()
    print_rules = stylesheet[stylesheet.index("@media print") :]
    assert ".print-header { display: block;" in print_rules
    assert ".filters" in print_rules.split("display: none")[0]


def test_links_leave_out_what_was_ignored(client):
    response = client.get("/matrix/?cluster=I&cluster=zz&sort=sideways&per_page=7&changed_since=x")
    for column in response.context["columns"]:
        if column.url:
            params = parse_qs(urlsplit(column.url).query)
            assert params["cluster"] == ["I"]
            assert not {"per_page", "changed_since"} & set(params)
            assert params["sort"][0].lstrip("-") != "sideways"
    assert response.context["keep_for_per_page"] == [("cluster", "I")]
