"""What the accessibility tests share: axe-core and Lighthouse, the languages and widths the page
is checked in, and the page's responses.

axe-core and Lighthouse are the npm packages pinned in tests/browser/package-lock.json, which
tests/run installs into .venv-browser (tests/npm-ci); a missing one skips the test, or under CI
fails it.
"""

from missing_tools import unavailable

from hosttools.compose_project import REPO

NODE_MODULES = REPO / ".venv-browser" / "node_modules"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
LIGHTHOUSE = NODE_MODULES / ".bin" / "lighthouse"

# Accept-Language the browser sends -> the <html lang> the page must answer with.
LANGUAGES = {"en": "en", "pt-BR": "pt-br"}
# A phone and a laptop.
VIEWPORTS = {"390px": {"width": 390, "height": 844}, "1280px": {"width": 1280, "height": 800}}

# The WCAG 2.2 A and AA rules (axe tags each rule with the level and version that added it).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

HTMX_AT_WORK = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"

RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((rule) => ({
    id: rule.id,
    help: rule.help,
    targets: rule.nodes.map((node) => node.target.join(" ")),
  }));
}"""


def npm_tool(path):
    """`path` in .venv-browser, or a skip (a failure under CI) when tests/run has not run."""
    if not path.exists():
        unavailable(f"{path} is missing: tests/run installs it (tests/npm-ci tests/browser)")
    return path


def with_axe(context):
    """Makes axe-core part of every page the browser context opens.

    An init script runs outside the page's Content-Security-Policy, which allows no inline
    script without the server's nonce.
    """
    context.add_init_script(path=npm_tool(AXE_SCRIPT))
    return context


def assert_no_violations(page, state):
    """axe finds nothing against the WCAG 2.2 A and AA rules on the page, once htmx is done.

    While htmx swaps and settles, elements carry its classes (even the request's, copied from
    the element they replace): the page is judged as it then stays.
    """
    page.wait_for_function(f"() => !document.querySelector('{HTMX_AT_WORK}')")
    violations = page.evaluate(RUN_AXE, WCAG_TAGS)
    found = "\n".join(
        f"  {rule['id']}: {rule['help']} at {'; '.join(rule['targets'])}" for rule in violations
    )
    assert not violations, f"axe on {state} ({page.viewport_size['width']} px):\n{found}"


def record_responses(page):
    """page.responses: (status, URL) of every answer the page gets from now on."""
    page.responses = []
    page.on("response", lambda response: page.responses.append((response.status, response.url)))
    return page


def assert_nothing_missing(page):
    """No request the page made was answered 404."""
    missing = [url for status, url in page.responses if status == 404]
    assert missing == [], f"answered 404: {missing}"
