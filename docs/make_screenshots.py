#!/usr/bin/env python3
"""Screenshots of the visitor page for the README: docs/make_screenshots.py

Starts the production stack (compose.yaml) under a throwaway project name on a free
127.0.0.1 port, signs in a few sample visitors through the API and signs two of them out, then
has Debian's Chromium photograph the page at 1280 px as a reader of each language sees it:
docs/screenshots/visitors-en.png and visitors-pt-br.png. The stack is removed afterwards.

Needs what the stack tests need (tests/run installs it): run it with their Python, under the
machine's Docker lock where there is one:
  flock /tmp/visitors-docker.lock .venv-stack/bin/python docs/make_screenshots.py
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path[:0] = [str(REPO / "tests" / "stack"), str(REPO)]  # the stack tests' helpers, hosttools

from chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from http_client import http_session  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from visitors_api import create_visitors  # noqa: E402

from hosttools.compose_project import ComposeProject  # noqa: E402

# Accept-Language -> the file's language tag.
LANGUAGES = {"en": "en", "pt-BR": "pt-br"}
SAMPLES = [
    {"name": "João Araújo", "company": "Construtora São Paulo", "message": "Reunião às 10h"},
    {"name": "Grace Hopper", "company": "US Navy", "message": ""},
    {"name": "Ana Beatriz Gonçalves", "company": "", "message": "Entrega de documentos"},
    {"name": "Ada Lovelace", "company": "Analytical Engines", "message": "Here for the demo"},
    {"name": "Luís Fernandes", "company": "Café do Centro", "message": ""},
]
SIGNED_OUT = 2  # the first ones signed in have left


def with_sample_visitors(stack):
    token = stack.credentials()["API token"]
    visitors = create_visitors(stack, token, SAMPLES)
    with http_session() as http:
        for visitor in visitors[:SIGNED_OUT]:
            answer = http.post(
                stack.url(f"/api/visitors/{visitor['id']}/sign-out"),
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            answer.raise_for_status()


def photograph(stack, directory):
    directory.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for language, tag in LANGUAGES.items():
                context = browser.new_context(
                    base_url=stack.url(),
                    locale=language,
                    viewport={"width": 1280, "height": 800},
                    color_scheme="light",
                )
                page = context.new_page()
                page.goto("/")
                spoken = page.locator("html").get_attribute("lang")
                if spoken != tag:
                    sys.exit(f"asked for {language}, the page answered in {spoken}")
                path = directory / f"visitors-{tag}.png"
                page.screenshot(path=path, full_page=True)
                context.close()
                print(f"wrote {path.relative_to(REPO)}")
        finally:
            browser.close()


def main():
    stack = ComposeProject(prefix="visitors-screenshots")
    try:
        stack.up(build=True)
        with_sample_visitors(stack)
        photograph(stack, DOCS / "screenshots")
    finally:
        stack.close()


if __name__ == "__main__":
    main()
