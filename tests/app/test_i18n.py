"""Portuguese and English: every string translated, each answer in its reader's language, the
API in English whatever the client asks."""

import io
import os
import re
import subprocess
import sys

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from django.conf import settings

from visitors import i18n, i18n_catalog

PORTUGUESE = {"HTTP_ACCEPT_LANGUAGE": "pt-BR,pt;q=0.9,en;q=0.5"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}
CATALOG = i18n_catalog.LOCALE / "pt_BR" / "LC_MESSAGES" / f"{i18n_catalog.DOMAIN}.po"


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def switcher_next(response):
    """Where the masthead's language switcher returns to."""
    return re.search(r'<input type="hidden" name="next" value="([^"]*)">', response.text).group(1)


def read_catalog(path):
    return read_po(io.BytesIO(path.read_bytes()))


# --- the catalog -------------------------------------------------------------------------------


def problems(extracted, catalog):
    """What a translator still has to do: each string the code marks that the catalog leaves
    out, untranslated (a plural form included) or fuzzy, and what it keeps that the code no
    longer has."""
    found = []
    for message in extracted:
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        strings = translated and translated.string
        forms = strings if isinstance(strings, tuple) else (strings,)
        if translated is None:
            found.append(f"missing: {message.id!r}")
        elif not all(forms):
            found.append(f"untranslated: {message.id!r}")
        elif translated.fuzzy:
            found.append(f"fuzzy: {message.id!r}")
    for message in catalog:
        if message.id and extracted.get(message.id, message.context) is None:
            found.append(f"no longer in the code: {message.id!r}")
    found += [f"obsolete: {key!r}" for key in catalog.obsolete]
    return found


def test_every_string_the_code_marks_is_translated_into_portuguese(tmp_path):
    """Fails on a string nobody translated yet: run `python -m visitors.i18n_catalog` in the
    dev container and translate what it adds to the catalog (README, "Languages")."""
    template = tmp_path / "django.pot"
    i18n_catalog.extract(template)
    extracted, catalog = read_catalog(template), read_catalog(CATALOG)
    assert len(extracted) > 40  # the extraction found the app's strings
    assert not catalog.fuzzy, "the catalog's header is fuzzy: the build would skip it"
    assert problems(extracted, catalog) == []
    # Each translation keeps its placeholders (%(name)s): Babel's own checks.
    assert [(message.id, errors) for message, errors in catalog.check()] == []


def test_the_check_finds_what_a_translator_left_undone():
    extracted, catalog = read_catalog(CATALOG), read_catalog(CATALOG)
    plural = next(message for message in catalog if isinstance(message.id, tuple))
    plural.string = (*plural.string[:-1], "")
    catalog.get("Page not found").string = ""
    catalog.get("Language").flags.add("fuzzy")
    catalog.delete("Visitors")
    catalog.add("Gone from the code", "Sumiu do código")
    assert sorted(problems(extracted, catalog)) == sorted(
        [
            f"untranslated: {plural.id!r}",
            "untranslated: 'Page not found'",
            "fuzzy: 'Language'",
            "missing: 'Visitors'",
            "no longer in the code: 'Gone from the code'",
        ]
    )


def test_templates_are_extracted_with_plurals_contexts_variables_and_comments():
    template = b"""{% load i18n %}
<p>{% translate "Sign in" %}</p>
  <p>{% translate "May" context "month" %}</p>
{# Translators: the number of visitors in the building #}
    <h2>{% blocktranslate trimmed count counter=visitors|length %}
      {{ counter }} visitor
    {% plural %}
      {{ counter }} visitors
    {% endblocktranslate %}</h2>
{% blocktranslate with name=guest.name context "notice" %}Thanks, {{ name }}{% endblocktranslate %}
"""
    found = list(
        extract(
            i18n_catalog.extract_template,
            io.BytesIO(template),
            keywords=DEFAULT_KEYWORDS,
            comment_tags=["Translators:"],
        )
    )
    assert found == [
        (2, "Sign in", [], None),
        (3, "May", [], "month"),
        (
            5,
            ("%(counter)s visitor", "%(counter)s visitors"),
            ["Translators: the number of visitors in the building"],
            None,
        ),
        (10, "Thanks, %(name)s", [], "notice"),
    ]


# --- pages in the reader's language ------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_speaks_portuguese_to_a_portuguese_browser(client):
    response = client.get("/", **PORTUGUESE)
    assert response.status_code == 200
    assert html_lang(response) == "pt-br"
    assert response["Content-Language"] == "pt-br"
    page = response.text
    assert "<title>Visitantes</title>" in page
    assert '<meta name="description" content="Registre sua entrada na recepção' in page
    assert '<label for="language">Idioma</label>' in page
    assert '<option value="pt-br" lang="pt-br" selected>' in page


@pytest.mark.django_db
def test_the_page_speaks_english_without_a_known_language(client):
    for headers in ({}, ENGLISH, {"HTTP_ACCEPT_LANGUAGE": "fr-FR,de;q=0.8"}):
        response = client.get("/", **headers)
        assert html_lang(response) == "en"
        assert "<title>Visitors</title>" in response.text
        assert '<label for="language">Language</label>' in response.text


@pytest.mark.django_db
def test_the_answer_names_what_chose_its_language(client):
    vary = {value.strip() for value in client.get("/", **PORTUGUESE)["Vary"].split(",")}
    assert {"Accept-Language", "Cookie"} <= vary


@pytest.mark.django_db(transaction=True)  # the cache serves committed data only
def test_each_reader_gets_their_language_from_the_cached_page(client, answer_cache):
    """The answer cache keys by language: the same page in turn to English and Portuguese
    readers is never served in the other's, nor its sign-in fields (a cached fragment, in
    production's Django cache)."""
    for headers, language in [(ENGLISH, "en"), (PORTUGUESE, "pt-br"), (ENGLISH, "en")] * 2:
        response = client.get("/", **headers)
        assert html_lang(response) == language
        portuguese = language == "pt-br"
        assert ("Idioma" in response.text) == portuguese
        assert ('<label for="id_name">Nome' in response.text) == portuguese


@pytest.mark.django_db
def test_the_switcher_remembers_the_choice_over_accept_language(client):
    page = client.get("/?before=5", **ENGLISH)
    assert switcher_next(page) == "/?before=5"
    chosen = client.post("/i18n/setlang/", {"language": "pt-br", "next": "/?before=5"}, **ENGLISH)
    assert chosen.status_code == 302
    assert chosen["Location"] == "/?before=5"
    cookie = chosen.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "pt-br"
    assert cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"]
    assert html_lang(client.get("/", **ENGLISH)) == "pt-br"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, **PORTUGUESE)
    assert html_lang(client.get("/", **PORTUGUESE)) == "en"


@pytest.mark.django_db
def test_the_switcher_returns_to_the_page_it_is_on(client):
    assert switcher_next(client.get("/")) == "/"
    # Escaped like anything else the address brings.
    assert switcher_next(client.get("/?a=1&b='")) == "/?a=1&amp;b=&#x27;"
    assert switcher_next(client.get("/nowhere")) == "/nowhere"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "status", "texts"),
    [
        ("/nowhere", 404, ["Erro 404", "<h1>Página não encontrada</h1>", "Não há nada neste"]),
        # The admin, in Django's own translations.
        ("/admin/login/", 200, ['value="Acessar"']),
    ],
)
def test_error_pages_and_the_admin_are_in_portuguese(client, path, status, texts):
    response = client.get(path, **PORTUGUESE)
    assert response.status_code == status
    assert html_lang(response) == "pt-br"
    assert all(text in response.text for text in texts)


def test_the_database_outage_page_is_in_portuguese(client, database_down):
    response = client.get("/", **PORTUGUESE)
    assert response.status_code == 503
    assert html_lang(response) == "pt-br"
    assert "O banco de dados não está respondendo." in response.text


@pytest.mark.django_db
def test_form_errors_speak_the_readers_language(client, auth):
    invalid = {"name": "Ada\x07", "company": "", "message": ""}
    page = client.post("/", invalid, **PORTUGUESE)
    assert page.status_code == 422
    assert "Caracteres de controle (como U+0007) não são permitidos." in page.text
    api = client.post(
        "/api/visitors", invalid, content_type="application/json", **auth, **PORTUGUESE
    )
    assert api.json()["errors"]["name"] == ["Control characters (such as U+0007) are not allowed."]


# --- the API stays English -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "token"),
    [
        ("/api/visitors", False),
        ("/api/visitors?limit=0&before=x", True),
        ("/api/visitors/0", True),
        ("/api/nowhere", True),
    ],
)
def test_api_errors_stay_english_whatever_the_client_asks(client, auth, path, token):
    """The same error, word for word, to a Portuguese client (its cookie included)."""
    headers = auth if token else {}
    english = client.get(path, **headers, **ENGLISH)
    assert english.status_code >= 400
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "pt-br"
    portuguese = client.get(path, **headers, **PORTUGUESE)
    assert portuguese.status_code == english.status_code
    answers = [response.json() for response in (english, portuguese)]
    for answer in answers:
        del answer["request_id"]
    assert answers[0] == answers[1]
    assert "Accept-Language" not in portuguese.get("Vary", "")


# --- management commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale_names", "language"),
    [
        ("pt_BR.UTF-8", "pt-br"),
        ("pt_BR", "pt-br"),
        ("fr_FR:pt_BR", "pt-br"),
        ("en_US.UTF-8", "en"),
        ("C.UTF-8", "en"),
        ("POSIX", "en"),
        ("", "en"),
    ],
)
def test_commands_take_their_language_from_the_shells_locale(locale_names, language):
    assert i18n.command_language(locale_names) == language


@pytest.mark.parametrize(
    ("lang", "label"), [("pt_BR.UTF-8", "token da API:"), ("C.UTF-8", "API token:")]
)
def test_a_command_prints_in_the_shells_language(lang, label):
    locale_variables = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"}
    env = {name: value for name, value in os.environ.items() if name not in locale_variables}
    done = subprocess.run(
        [sys.executable, "manage.py", "credentials"],
        env=env | {"LANG": lang},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert label in done.stdout.splitlines()[2]
