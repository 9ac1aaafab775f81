"""`docker compose down` (without -v) and `up` again keep the visitors and the secrets."""

from http_client import http_session
from visitors_api import unique


def test_visitors_and_api_token_survive_down_and_up(stack, api, api_token, timings):
    created = api("POST", "/api/visitors", json={"name": unique("Persistent Pat")})
    assert created.status_code == 201, created.text
    visitor = created.json()

    stack.down(volumes=False)
    assert stack.ps() == {}, "down left containers behind"
    seconds = stack.up()
    timings["production: up again after down (no build) -> every service healthy"] = seconds
    print(f"\nup after down -> all healthy: {seconds:.1f} s")

    # The secrets volume is kept too, so the token (and every other secret) is unchanged.
    assert stack.credentials()["API token"] == api_token
    with http_session() as fresh:  # connections from before the restart are gone
        reader = {"Authorization": f"Bearer {api_token}"}
        listed = fresh.get(stack.url("/api/visitors"), headers=reader, timeout=10)
        page = fresh.get(stack.url("/"), timeout=10)
    assert listed.status_code == 200
    assert visitor in listed.json()["results"]
    assert page.status_code == 200
    assert visitor["name"] in page.text
