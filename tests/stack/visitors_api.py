"""Visitors written and read back through the stack's API, to check that none is lost."""

import secrets

from http_client import http_session


def unique(label):
    """A visitor name no other test (or earlier run) uses."""
    return f"{label} {secrets.token_hex(3)}"


def create_visitors(stack, token, visitors):
    """Posts each visitor (a dict of fields) through the API; returns what the 201s gave back."""
    created = []
    with http_session() as session:
        for visitor in visitors:
            response = session.post(
                stack.url("/api/visitors"),
                json=visitor,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            created.append(response.json())
    return created


def visitors_not_kept(stack, visitors):
    """The acknowledged visitors that GET /api/visitors/<id> does not give back unchanged."""
    missing = []
    reader = {"Authorization": f"Bearer {stack.credentials()['API read token']}"}
    with http_session() as session:
        for visitor in visitors:
            url = stack.url(f"/api/visitors/{visitor['id']}")
            response = session.get(url, headers=reader, timeout=10)
            if response.status_code != 200 or response.json() != visitor:
                missing.append((visitor, response.status_code, response.text[:200]))
    return missing
