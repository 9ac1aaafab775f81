"""Creates the stack's secrets on first start, so a fresh clone needs no manual step.

Each secret is a file in the `secrets` volume, written once and then left alone (replace a
file to rotate that secret). It runs as uid 65532 (the app) with group 70 (postgres), so
the database passwords can be group-readable for postgres while the rest stays private to
uid 65532. Each service mounts only the files it reads (compose.yaml): the database gets
db_password (its superuser's), db_app_password and db_monitor_password; the app gets
db_app_password (its role's), django_secret_key, api_token and api_read_token; the migrate job
those and admin_password; the retention service db_app_password and django_secret_key;
postgres-exporter (the monitoring profile) db_monitor_password.
Nothing here is printed: `manage.py credentials` shows what an operator needs.

Usage: make_secrets.py [DIRECTORY [NAME...]]: only the secrets NAME... when given (the
Kubernetes manifests keep each consumer's secrets in its own folder:
deploy/kubernetes/make-secrets).
"""

import os
import secrets
import sys
from pathlib import Path

DIRECTORY = Path(sys.argv[1] if len(sys.argv) > 1 else "/run/secrets")

# name: (mode, how to make a value)
SECRETS = {
    "django_secret_key": (0o400, lambda: secrets.token_urlsafe(50)),
    "db_password": (0o440, lambda: secrets.token_urlsafe(32)),
    "db_app_password": (0o440, lambda: secrets.token_urlsafe(32)),
    "db_monitor_password": (0o440, lambda: secrets.token_urlsafe(32)),
    "api_token": (0o400, lambda: secrets.token_urlsafe(32)),
    "api_read_token": (0o400, lambda: secrets.token_urlsafe(32)),
    "admin_password": (0o400, lambda: secrets.token_urlsafe(18)),
}


def main(names):
    unknown = set(names) - SECRETS.keys()
    if unknown:
        sys.exit(f"unknown secrets: {', '.join(sorted(unknown))} (known: {', '.join(SECRETS)})")
    for name, (mode, make) in SECRETS.items():
        if names and name not in names:
            continue
        path = DIRECTORY / name
        if path.exists():
            print(f"secret {name}: kept")
            continue
        # Written under a temporary name and renamed, so no reader ever sees half a secret.
        partial = path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w") as file:
            file.write(make())
        partial.rename(path)
        print(f"secret {name}: created")


if __name__ == "__main__":
    main(sys.argv[2:])
