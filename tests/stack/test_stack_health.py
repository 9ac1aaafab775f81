"""After `up --wait`, every service is where an operator expects it: healthy, or done."""

from hosttools.compose_project import LONG_RUNNING, ONE_SHOT


def test_exactly_the_expected_services_exist(stack):
    assert sorted(stack.ps()) == sorted(LONG_RUNNING + ONE_SHOT)


def test_long_running_services_are_running_and_healthy(stack):
    services = stack.ps()
    states = {name: (services[name]["State"], services[name]["Health"]) for name in LONG_RUNNING}
    assert states == {name: ("running", "healthy") for name in LONG_RUNNING}


def test_one_shot_services_exited_successfully(stack):
    services = stack.ps()
    outcomes = {name: (services[name]["State"], services[name]["ExitCode"]) for name in ONE_SHOT}
    assert outcomes == {name: ("exited", 0) for name in ONE_SHOT}


def test_time_from_up_to_healthy_is_measured(stack, timings, record_property):
    seconds = timings["production: up --build start -> every service healthy"]
    record_property("seconds_up_to_healthy", round(seconds, 2))
    print(f"\nup -> all healthy: {seconds:.1f} s")
    # Builds come from the cache and every healthcheck polls each second while starting.
    assert 0 < seconds < 240
