import pytest

from recommendations.demo import demo_seed

pytestmark = pytest.mark.django_db


def test_the_home_page_lists_all_384_recommendations_in_number_order(client):
    response = client.get("/")
    assert response.status_code == 200
    codes = [rec.code for rec in response.context["recommendations"]]
    assert codes == [f"R{n}" for n in range(1, 385)]
    content = response.content.decode()
    assert content.index('id="R2"') < content.index('id="R10"')


def test_the_home_page_says_what_is_not_yet_recorded(client):
    content = client.get("/").content.decode()
    assert "Text not yet recorded" in content
    assert "Not yet recorded" in content
    # R14: section and responsibility come from the sources.
    assert "4. Working Culture at the Court" in content
    # R227 is the only text the sources give.
    assert "In order to address the disparity" in content


def test_a_procedural_mention_is_not_shown_as_the_owner(client):
    response = client.get("/")
    r27 = next(rec for rec in response.context["recommendations"] if rec.number == 27)
    row = response.content.decode().split('id="R27"')[1].split("</tr>")[0]
    assert [a.mandate_holder.slug for a in r27.assignments.all()] == ["cbf"]
    assert "CBF" not in row
    assert "Not yet recorded" in row.split("</td>")[3]  # the mandate-holders cell


def test_the_home_page_runs_three_queries_whatever_the_data(client, django_assert_num_queries):
    # 1 demo banner, 1 recommendations with their joins, 1 assignments with mandate-holders.
    with django_assert_num_queries(3):
        client.get("/")
    demo_seed()
    with django_assert_num_queries(3):
        response = client.get("/")
    assert b"Demonstration data, not official." in response.content


def test_the_home_page_speaks_french(client):
    response = client.get("/", headers={"accept-language": "fr"})
    assert response.status_code == 200
    assert response.content.decode().count("Évaluée positivement") == 1  # R363
