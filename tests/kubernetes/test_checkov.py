"""checkov's Kubernetes checks pass on every rendered overlay, offline.

A check may be skipped only next to what it skips, with the reason: an annotation
`checkov.io/skip<N>: CKV_K8S_<id>=<why>` on that resource. A skip without a reason fails too.
"""

import json
import subprocess
import sys
from pathlib import Path

CHECKOV = Path(sys.executable).parent / "checkov"
# What checkov records as the reason of a skip that gives none.
NO_REASON = "No comment provided"


def checkov_results(manifest):
    """checkov's verdicts on one rendered stream (--skip-download: nothing is fetched)."""
    result = subprocess.run(
        [
            CHECKOV,
            "--framework",
            "kubernetes",
            "--skip-download",
            "--output",
            "json",
            "-f",
            manifest,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), f"checkov failed to run:\n{result.stderr}"
    report = json.loads(result.stdout)
    assert report["summary"]["parsing_errors"] == 0, f"checkov could not parse:\n{result.stdout}"
    assert report["summary"]["resource_count"] > 0, "checkov found no resource to check"
    return report["results"]


def verdict(check):
    return f"{check['check_id']} ({check['check_name']}) on {check['resource']}"


def test_checkov_passes(overlay, rendered, tmp_path):
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(rendered)
    results = checkov_results(manifest)
    failed = [verdict(check) for check in results["failed_checks"]]
    unexplained = [
        verdict(check)
        for check in results["skipped_checks"]
        if check["check_result"].get("suppress_comment", NO_REASON) == NO_REASON
    ]
    assert not failed, f"overlays/{overlay}: checkov failed:\n  " + "\n  ".join(failed)
    assert not unexplained, f"overlays/{overlay}: skipped without a reason:\n  " + "\n  ".join(
        unexplained
    )
