"""The translation catalogs: extracted with Babel, Django templates included.

A development tool (Babel is in the dev image and the image build, not in the app's image):

    python -m visitors.i18n_catalog

extracts every marked string (babel.cfg says from where) and merges it into each catalog in
locale/, where new strings wait, untranslated, for a translator; strings gone from the code
are dropped. tests/app/test_i18n.py extracts the same way and fails on any left untranslated.
"""

import io
import os
import tempfile
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.frontend import CommandLineInterface
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
DOMAIN = "django"
# Django's lazy functions, besides Babel's defaults (gettext, ngettext, pgettext, npgettext, _).
KEYWORDS = ["gettext_lazy", "ngettext_lazy:1,2", "pgettext_lazy:1c,2", "npgettext_lazy:1c,2,3"]


def extract_template(fileobj, keywords, comment_tags, options):
    """Babel's extractor for a Django template: Django turns it into Python-like code (as its
    makemessages does for xgettext), and Babel's Python extractor reads that.

    {% translate %}, {% blocktranslate %} (with variables, `count` and `context`) and
    translator comments become gettext(), ngettext(), pgettext()... calls on the same lines.
    """
    encoding = options.get("encoding", "utf-8")
    code = templatize(fileobj.read().decode(encoding), origin=getattr(fileobj, "name", None))
    # The template's own indentation is no Python block structure: Python's tokenizer would
    # refuse it. Each call stays on its line (templatize writes one literal per call).
    code = "\n".join(line.lstrip() for line in code.splitlines())
    yield from extract_python(io.BytesIO(code.encode()), keywords, comment_tags, options)


def extract(template_path):
    """Writes every marked string to the template (.pot) file at template_path."""
    keywords = [argument for keyword in KEYWORDS for argument in ("-k", keyword)]
    # Files named relative to the repository, without line numbers: edits elsewhere in a file
    # leave the catalogs alone.
    pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(template_path),
        "--add-comments", "Translators:", "--add-location", "file", "--sort-by-file",
        "--project", "Visitors", *keywords, os.path.relpath(ROOT),
    )  # fmt: skip


def update():
    """Extracts the strings and merges them into every catalog in locale/."""
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / f"{DOMAIN}.pot"
        extract(template)
        # Strings gone from the code are dropped; the header changes only with the strings.
        pybabel(
            "update", "-i", str(template), "-d", str(LOCALE), "-D", DOMAIN,
            "--ignore-obsolete", "--ignore-pot-creation-date",
        )  # fmt: skip


def pybabel(*arguments):
    status = CommandLineInterface().run(["pybabel", "-q", *arguments])
    if status:
        raise SystemExit(f"pybabel {arguments[0]} failed")


if __name__ == "__main__":
    update()
