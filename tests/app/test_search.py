"""Searching visitors by name or company, ignoring case and accents: the API's `q`, the page's
search box (htmx and without JavaScript), and PostgreSQL's trigram index doing the work."""

import pytest
from django.db import connection

from visitors.models import Visitor

pytestmark = pytest.mark.django_db

PEOPLE = [
    ("João Silva", "Padaria São Paulo"),
    ("Zoë Müller", "Ærøskøbing Ferries"),
    ("Łukasz Wójcik", ""),
    ("Grace Hopper", "US Navy"),
]


@pytest.fixture
def people(make_visitor):
    return {name: make_visitor(name=name, company=company) for name, company in PEOPLE}


def found(client, auth, q, **params):
    response = client.get("/api/visitors", {"q": q, **params}, **auth)
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("joao", ["João Silva"]),
        ("JOÃO", ["João Silva"]),
        ("sao paulo", ["João Silva"]),  # the company
        ("muller", ["Zoë Müller"]),
        ("zoe", ["Zoë Müller"]),
        ("lukasz woj", ["Łukasz Wójcik"]),
        ("o", ["Grace Hopper", "Łukasz Wójcik", "Zoë Müller", "João Silva"]),  # newest first
        ("  hopper  ", ["Grace Hopper"]),  # trimmed
        ("nobody", []),
        ("100%", []),  # LIKE's wildcards are searched for, not used
        ("_", []),
    ],
)
def test_api_search_ignores_case_and_accents(client, auth, people, q, expected):
    assert found(client, auth, q) == expected


def test_api_search_finds_wildcard_characters_literally(client, auth, make_visitor):
    make_visitor(name="Ada", company="100% Cotton_Co")
    make_visitor(name="Grace", company="1000 Cotton Co")
    assert found(client, auth, "100%") == ["Ada"]
    assert found(client, auth, "n_c") == ["Ada"]


def test_api_search_pages_keep_the_query(client, auth, make_visitors):
    make_visitors(5)
    body = client.get("/api/visitors", {"q": "visitor", "limit": 2}, **auth).json()
    assert "q=visitor" in body["next"]
    names = [item["name"] for item in body["results"]]
    while body["next"]:
        body = client.get(body["next"], **auth).json()
        names += [item["name"] for item in body["results"]]
    assert names == [f"Visitor {n}" for n in range(5, 0, -1)]


def test_api_search_with_presence(client, auth, make_visitor, people):
    Visitor.objects.filter(name="João Silva").sign_out()
    assert found(client, auth, "o", present="true") == [
        "Grace Hopper",
        "Łukasz Wójcik",
        "Zoë Müller",
    ]
    assert found(client, auth, "o", present="false") == ["João Silva"]


@pytest.mark.parametrize("q", ["", "   ", "x" * 101, "a\x00b", "tab\there"])
def test_api_search_refuses_what_it_cannot_search_for(client, auth, q):
    response = client.get("/api/visitors", {"q": q}, **auth)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"q"}


def test_api_search_shows_a_sign_in_at_once(client, auth, people):
    # Answers are cached by database snapshot: a change shows in the very next search.
    assert found(client, auth, "lovelace") == []
    client.post("/api/visitors", {"name": "Ada Lovelace"}, content_type="application/json", **auth)
    assert found(client, auth, "lovelace") == ["Ada Lovelace"]
    ada = Visitor.objects.get(name="Ada Lovelace")
    client.post(f"/api/visitors/{ada.id}/sign-out", **auth)
    assert found(client, auth, "lovelace", present="true") == []


def test_search_uses_the_trigram_index(people):
    with connection.cursor() as cursor:
        # Too few rows for the planner to choose an index on its own: forbid the alternative.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Visitor.objects.search("sao paulo").explain()
    assert "visitor_search_idx" in plan


# --- the page ---------------------------------------------------------------------------------


def test_page_search_filters_both_lists(client, listed_ids, people):
    Visitor.objects.filter(name="Zoë Müller").sign_out()
    html = client.get("/", {"q": "u"}).text
    in_building = ["Grace Hopper", "Łukasz Wójcik", "João Silva"]  # "US Navy" has a u too
    assert listed_ids(html, "present-list") == [people[name].id for name in in_building]
    assert listed_ids(html, "signed-out-list") == [people["Zoë Müller"].id]
    assert "Visitors whose name or company contains “u”." in html
    assert 'value="u"' in html  # the box keeps what was searched


def test_page_search_says_when_nobody_matches(client, people):
    html = client.get("/", {"q": "nobody"}).text
    assert "Nobody in the building matches this search." in html
    assert "Nobody who left today matches this search." in html


def test_an_empty_search_shows_everyone(client, listed_ids, people):
    assert listed_ids(client.get("/", {"q": "  "}).text) == listed_ids(client.get("/").text)


def test_htmx_search_answers_the_lists_only(client, htmx, listed_ids, people):
    response = client.get("/", {"q": "joao"}, **htmx)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert '<form id="sign-in"' not in response.text
    assert listed_ids(response.text) == [people["João Silva"].id]
    # Its rows' sign-out forms carry this request's CSRF token, not a cached one's.
    assert 'name="csrfmiddlewaretoken" value="csrf-slot' not in response.text


def test_older_page_links_keep_the_search(client, make_visitors):
    make_visitors(25, signed_out=True)
    html = client.get("/", {"q": "visitor 1"}).text
    assert "?before=" not in html  # 11 match: one page
    html = client.get("/", {"q": "visitor"}).text
    assert "&amp;q=visitor" in html


@pytest.mark.parametrize("q", ["x" * 101, "a\x00b"])
def test_a_search_the_page_cannot_run_is_a_400_page(client, q):
    response = client.get("/", {"q": q})
    assert response.status_code == 400
    assert "That search or link to older visitors is not valid." in response.text


def test_the_public_search_finds_only_todays_visitors(client, make_visitor):
    make_visitor(name="Yesterday's Ada", days_ago=1)
    assert "Yesterday" not in client.get("/", {"q": "ada"}).text
