"""Lighthouse on the visitor page: 100 for accessibility, best practices and SEO, in each language.

Lighthouse (npm, pinned in tests/browser) drives the same Debian Chromium as the other browser
tests, headless and with their arguments, and sends Accept-Language as a reader of the
language would. Only those three categories run: about 15 s a page.
"""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from accessibility_tools import LANGUAGES, LIGHTHOUSE, npm_tool
from chromium import CHROMIUM, CHROMIUM_ARGS
from missing_tools import unavailable

CATEGORIES = ("accessibility", "best-practices", "seo")
TIMEOUT = 180


def lighthouse(url, language, report):
    """Runs Lighthouse on `url` and returns its report (a dict)."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    run = subprocess.run(
        [
            npm_tool(LIGHTHOUSE),
            url,
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={shlex.join(CHROMIUM_ARGS)}",
            f"--extra-headers={json.dumps({'Accept-Language': language})}",
            "--output=json",
            f"--output-path={report}",
            "--quiet",
        ],
        env={**os.environ, "CHROME_PATH": CHROMIUM},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, f"lighthouse failed ({run.returncode}): {run.stderr[-2000:]}"
    return json.loads(report.read_text())


def shortfalls(report, category):
    """What cost the category points: 'audit id: title' of each failed audit that weighs."""
    audits = report["audits"]
    return [
        f"{ref['id']}: {audits[ref['id']]['title']}"
        for ref in report["categories"][category]["auditRefs"]
        if ref["weight"] and audits[ref["id"]]["score"] not in (1, None)
    ]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_page_scores_100(stack, language, tmp_path, timings):
    report = lighthouse(stack.url("/"), language, tmp_path / "report.json")
    assert report["finalDisplayedUrl"] == stack.url("/")
    assert "runtimeError" not in report, report["runtimeError"]
    scores = {name: round((report["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    timings[f"lighthouse ({language}): one run"] = report["timing"]["total"] / 1000
    below = {name: shortfalls(report, name) for name, score in scores.items() if score < 100}
    assert not below, f"Lighthouse scores {scores} for {language}; what cost points: {below}"
