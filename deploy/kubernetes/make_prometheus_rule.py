#!/usr/bin/env python3
"""Writes components/monitoring/prometheus-rule.yaml, the PrometheusRule of the Kubernetes
deployment, from the two rule files it carries: the Kubernetes recording rules beside it
(components/monitoring/recording-rules.yml) and the alerts compose's Prometheus loads too
(deploy/monitoring/rules/alerts.yml). A PrometheusRule's spec is a rule file's content, so the
groups are copied as text, comments included, indented under `spec:`: nothing but Python's
standard library is needed. Run it after changing either file (`--check` only says whether
the manifest is current); tests/kubernetes fails while it is not.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COMPONENT = HERE / "components" / "monitoring"
SOURCES = (COMPONENT / "recording-rules.yml", HERE.parent / "monitoring" / "rules" / "alerts.yml")
MANIFEST = COMPONENT / "prometheus-rule.yaml"
REPOSITORY = HERE.parent.parent

HEADER = """\
# Written by deploy/kubernetes/make_prometheus_rule.py from
{sources}
# Change those and run it; never edit this file.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: visitors
  labels:
    app.kubernetes.io/name: visitors
spec:
  groups:
"""


def groups_of(source):
    """The lines of a rule file after its one top-level key, `groups:`, indented one level."""
    lines = source.read_text().splitlines()
    try:
        start = lines.index("groups:") + 1
    except ValueError:
        sys.exit(f"{source}: no top-level 'groups:' line")
    return [f"  {line}" if line else line for line in lines[start:]]


def manifest():
    names = "\n".join(f"#   {source.relative_to(REPOSITORY)}" for source in SOURCES)
    lines = [line for source in SOURCES for line in groups_of(source)]
    return HEADER.format(sources=names) + "\n".join(lines) + "\n"


def main():
    wanted = manifest()
    if sys.argv[1:] == ["--check"]:
        if not MANIFEST.exists() or MANIFEST.read_text() != wanted:
            sys.exit(f"{MANIFEST.relative_to(REPOSITORY)} is out of date: run {sys.argv[0]}")
        return
    MANIFEST.write_text(wanted)


if __name__ == "__main__":
    main()
