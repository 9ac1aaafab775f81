"""Helpers of bench/run: one module per purpose (stack, wrk, cases, targets, report, profile)."""
