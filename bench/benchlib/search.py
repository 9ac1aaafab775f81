"""The search case: the data it searches, what it searches for, and a check that the answers
are right before they are timed.

It runs against exactly VISITORS visitors written by `manage.py seed_visitors` over a year:
the other cases' own sign-ins (hundreds of thousands in a full run, all named alike) are
removed first, so the index holds the names and companies a front desk would have.
"""

import json
import time
import urllib.parse

from benchlib.cases import Case, fetch

VISITORS = 100_000
# The paced search: each connection searches again this long after an answer (16 connections:
# up to 160 searches a second, far beyond a front desk's), so latency is what a search costs
# rather than how long it queued behind the others on a saturated machine.
PAUSE_MS = 100
DAYS = 365
SEED = 2
TABLE = "visitors_visitor"

# What a receptionist types, and what it must find as seed_visitors writes it. Mostly lower
# case without accents, so every answer goes through PostgreSQL's case and accent folding:
# first and last names, a full name, company fragments, and a name nobody has. Many different
# terms, so the 16 connections do not all ask one question.
TERMS = [
    ("jose", "José"),
    ("muller", "Müller"),
    ("bjorn", "Björn"),
    ("bergstrom", "Bergström"),
    ("soren", "Søren"),
    ("lukasz", "Łukasz"),
    ("maelle", "Maëlle"),
    ("zoe", "Zoë"),
    ("tomas", "Tomás"),
    ("wojcik", "Wójcik"),
    ("garcia", "García"),
    ("priya", "Priya"),
    ("nakamura", "Nakamura"),
    ("o'brien", "O'Brien"),
    ("van dijk", "Van Dijk"),
    ("jose garcia", "José García"),
    ("MÜLLER", "Müller"),
    ("northwind", "Northwind Traders"),
    ("vandelay", "Vandelay Imports"),
    ("tyrell", "Tyrell Biotech"),
    ("cyberdyne", "Cyberdyne Systems"),
    ("wind trad", "Northwind Traders"),
    ("health", "Umbrella Health"),
    ("xavier", None),  # nobody: an empty answer
]


def encoded_terms():
    """The terms as the query string carries them, separated by spaces (search.lua's input)."""
    return " ".join(urllib.parse.quote(term, safe="") for term, _ in TERMS)


def reset_data(stack):
    """Replaces every visitor by VISITORS seeded ones; returns the seconds seeding took.

    VACUUM ANALYZE afterwards gives the planner the statistics a database that grew to this
    size would have (autovacuum would take them a minute or more after a bulk load).
    """
    stack.psql(f"TRUNCATE {TABLE}")
    started = time.monotonic()
    stack.exec(
        "app", "python", "manage.py", "seed_visitors", str(VISITORS),
        "--days", str(DAYS), "--seed", str(SEED), timeout=600,
    )  # fmt: skip
    seconds = time.monotonic() - started
    stack.psql(f"VACUUM ANALYZE {TABLE}")
    return seconds


def newest_id(base_url, token):
    _, _, body = fetch(base_url + "/api/visitors?limit=1", {"Authorization": f"Bearer {token}"})
    return json.loads(body)["results"][0]["id"]


def cases(base_url, token):
    """The search timed twice: every request a question the app has not answered yet (the
    target), and the same terms asked again and again (answers from the snapshot cache)."""
    env = {"BENCH_TOKEN": token, "BENCH_SEARCH_TERMS": encoded_terms()}
    uncached = dict(env, BENCH_SEARCH_CURSOR=str(newest_id(base_url, token) + 1))
    label = f"GET /api/visitors?q= ({VISITORS:,} visitors, {len(TERMS)} terms"
    return [
        Case("search", f"{label}, never cached)", "/api/visitors", "search.lua", env=uncached),
        Case(
            "search_paced",
            f"{label}, never cached, each connection every {PAUSE_MS} ms)",
            "/api/visitors",
            "search.lua",
            env=dict(uncached, BENCH_SEARCH_PAUSE_MS=str(PAUSE_MS)),
        ),
        Case("search_cached", f"{label}, cached)", "/api/visitors", "search.lua", env=env),
    ]


def check(base_url, token):
    """Problems with the answers to every term (none when each finds only what it must)."""
    problems = []
    for term, expected in TERMS:
        query = urllib.parse.urlencode({"q": term, "limit": 100})
        _, _, body = fetch(f"{base_url}/api/visitors?{query}", {"Authorization": f"Bearer {token}"})
        found = [f"{v['name']} / {v['company']}" for v in json.loads(body)["results"]]
        wrong = [text for text in found if expected is None or expected not in text]
        if wrong or (expected and not found):
            problems.append(
                f"search {term!r}: expected {expected or 'nobody'}, got {len(found)} "
                f"answers, {len(wrong)} wrong (e.g. {wrong[:3]})"
            )
    return problems
