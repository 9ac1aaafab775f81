"""The production images speak Portuguese: catalogs compiled by the image build, the switcher
through nginx, nginx's own error pages, the API in English whatever the client asks."""

import re

PORTUGUESE = {"Accept-Language": "pt-BR,pt;q=0.9"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def html_lang(response):
    return re.search(r'<html lang="([^"]+)"', response.text).group(1)


def test_the_page_speaks_the_browsers_language(stack, http):
    english = http.get(stack.url("/"), timeout=10)
    portuguese = http.get(stack.url("/"), headers=PORTUGUESE, timeout=10)
    assert (html_lang(english), html_lang(portuguese)) == ("en", "pt-br")
    assert "<title>Visitantes</title>" in portuguese.text
    assert "Accept-Language" in portuguese.headers["Vary"]


def test_the_switcher_keeps_the_choice_through_nginx(stack, http):
    page = http.get(stack.url("/"), timeout=10)
    token = CSRF_INPUT.search(page.text).group(1)
    chosen = http.post(
        stack.url("/i18n/setlang/"),
        data={"csrfmiddlewaretoken": token, "language": "pt-br", "next": "/"},
        allow_redirects=False,
        timeout=10,
    )
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/"
    assert html_lang(http.get(stack.url("/"), timeout=10)) == "pt-br"
    assert html_lang(http.get(stack.url("/no-such-page"), timeout=10)) == "pt-br"


def test_the_api_answers_in_english_to_a_portuguese_client(stack, http):
    english = http.get(stack.url("/api/visitors"), timeout=10)
    portuguese = http.get(stack.url("/api/visitors"), headers=PORTUGUESE, timeout=10)
    assert portuguese.status_code == english.status_code == 401
    assert portuguese.json()["error"] == english.json()["error"]


def test_nginxs_own_error_pages_speak_the_readers_language(stack, http):
    """A 404 nginx answers itself (a missing static file), as the app would choose."""
    missing = stack.url("/static/no-such-file.js")
    english = http.get(missing, timeout=10)
    portuguese = http.get(missing, headers=PORTUGUESE, timeout=10)
    assert english.status_code == portuguese.status_code == 404
    assert (html_lang(english), html_lang(portuguese)) == ("en", "pt-br")
    assert "<h1>Página não encontrada</h1>" in portuguese.text
    http.cookies.set("django_language", "en")
    assert html_lang(http.get(missing, headers=PORTUGUESE, timeout=10)) == "en"
    http.cookies.set("django_language", "pt-br")
    assert html_lang(http.get(missing, timeout=10)) == "pt-br"
