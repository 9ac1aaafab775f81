"""The monitoring profile's configuration (deploy/monitoring/) as the tests read it, so that
their deadlines follow the files instead of repeating their figures."""

import yaml

from hosttools.compose_project import REPO

MONITORING = REPO / "deploy" / "monitoring"
ALERTS = MONITORING / "rules" / "alerts.yml"


def seconds(duration):
    """A Prometheus duration of one unit, as the project's files write them ("15s", "1m")."""
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


def alerts():
    """Every alert rule of alerts.yml, by name."""
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def alert_for(name):
    """An alert's `for:`, in seconds."""
    return seconds(alerts()[name]["for"])


def evaluation_interval():
    """Seconds between Prometheus's scrapes or rule evaluations, whichever is longer."""
    settings = yaml.safe_load((MONITORING / "prometheus.yml").read_text())["global"]
    return max(seconds(settings["scrape_interval"]), seconds(settings["evaluation_interval"]))
