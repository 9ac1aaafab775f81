"""Django's PostgreSQL backend, made to fail fast and recover fast (see base.py)."""
