"""The admin's visitor list: order, search, date filters and the CSV export action."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

CHANGE_LIST = "/admin/visitors/visitor/"
ROW_NAME = re.compile(r'<th class="field-name"><a href="[^"]*">([^<]*)</a></th>')


def listed_names(response):
    assert response.status_code == 200
    return ROW_NAME.findall(response.text)


@pytest.fixture
def visitors(make_visitor):
    """Ada signed in long ago, Grace a week ago, Linus today."""
    long_ago = timezone.make_aware(datetime(2020, 3, 14, 9, 30))
    return {
        "ada": make_visitor(name="Ada Lovelace", company="Analytical Engines", created_at=long_ago),
        "grace": make_visitor(name="Grace Hopper", company="US Navy", days_ago=6),
        "linus": make_visitor(name="Linus Torvalds", company="Linux Foundation"),
    }


def test_change_list_needs_a_login(client, visitors):
    response = client.get(CHANGE_LIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_change_list_shows_newest_first(admin_client, visitors):
    names = listed_names(admin_client.get(CHANGE_LIST))
    assert names == ["Linus Torvalds", "Grace Hopper", "Ada Lovelace"]


def test_change_list_orders_by_arrival_time_not_id(admin_client, make_visitor):
    # Backdated rows (imports, seeds) sort by when people signed in.
    make_visitor(name="Late entry", days_ago=30)
    make_visitor(name="Yesterday", days_ago=1)
    assert listed_names(admin_client.get(CHANGE_LIST)) == ["Yesterday", "Late entry"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grace", ["Grace Hopper"]),
        ("LOVELACE", ["Ada Lovelace"]),
        ("navy", ["Grace Hopper"]),
        ("Linux Found", ["Linus Torvalds"]),
        ("nobody-like-this", []),
    ],
)
def test_search_by_name_and_company(admin_client, visitors, query, expected):
    assert listed_names(admin_client.get(CHANGE_LIST, {"q": query})) == expected


def test_date_hierarchy_filters_by_year(admin_client, visitors):
    response = admin_client.get(CHANGE_LIST, {"created_at__year": 2020})
    assert listed_names(response) == ["Ada Lovelace"]


def test_date_filter_past_seven_days(admin_client, visitors):
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    query = {
        "created_at__gte": str(today - timedelta(days=7)),
        "created_at__lt": str(today + timedelta(days=1)),
    }
    assert listed_names(admin_client.get(CHANGE_LIST, query)) == ["Linus Torvalds", "Grace Hopper"]


def test_date_filter_is_offered(admin_client, visitors):
    html = admin_client.get(CHANGE_LIST).text
    assert "Past 7 days" in html
    assert "By signed in at" in html


def export(admin_client, *visitors):
    return admin_client.post(
        CHANGE_LIST,
        {"action": "export_csv", "_selected_action": [visitor.pk for visitor in visitors]},
    )


def test_csv_export_of_selected_visitors(admin_client, visitors):
    response = export(admin_client, visitors["ada"], visitors["linus"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.fullmatch(
        r'attachment; filename="visitors-\d{8}-\d{6}\.csv"', response["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == ["id", "name", "company", "message", "created_at", "signed_out_at"]
    linus, ada = visitors["linus"], visitors["ada"]
    assert rows[1:] == [
        [str(linus.id), "Linus Torvalds", "Linux Foundation", "", linus.created_at.isoformat(), ""],
        [str(ada.id), "Ada Lovelace", "Analytical Engines", "", ada.created_at.isoformat(), ""],
    ]


def test_csv_export_keeps_unicode_and_line_breaks(admin_client, make_visitor):
    visitor = make_visitor(name="Zoë 王芳 Øyvind", company="Hooli, Inc.", message='say "hi"\nbye')
    rows = list(csv.reader(io.StringIO(export(admin_client, visitor).content.decode("utf-8"))))
    assert rows[1][1:4] == ["Zoë 王芳 Øyvind", "Hooli, Inc.", 'say "hi"\nbye']


@pytest.mark.parametrize("cell", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", '=HYPERLINK("x")'])
@pytest.mark.parametrize("field", ["name", "company", "message"])
def test_csv_export_defuses_formulas(admin_client, make_visitor, field, cell):
    visitor = make_visitor(**{"name": "Safe", field: cell})
    rows = list(csv.reader(io.StringIO(export(admin_client, visitor).content.decode("utf-8"))))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported[field] == "'" + cell


@pytest.mark.parametrize("message", ["\tTAB", "\rCR"])
def test_csv_export_defuses_leading_tab_and_carriage_return(admin_client, make_visitor, message):
    visitor = make_visitor(message=message)
    rows = list(csv.reader(io.StringIO(export(admin_client, visitor).content.decode("utf-8"))))
    assert rows[1][3] == "'" + message


def test_visitor_can_be_edited_in_the_admin(admin_client, visitors):
    ada = visitors["ada"]
    url = f"{CHANGE_LIST}{ada.pk}/change/"
    response = admin_client.post(url, {"name": "  Ada King ", "company": "", "message": ""})
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.name == "Ada King"


def test_admin_rejects_control_characters(admin_client, visitors):
    ada = visitors["ada"]
    url = f"{CHANGE_LIST}{ada.pk}/change/"
    response = admin_client.post(url, {"name": "Ada\x1b[31m", "company": "", "message": ""})
    assert response.status_code == 200
    assert "Control characters" in response.text
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"
