"""Visitors as CSV or JSON, for the admin's export action and the export_visitors command."""

import csv
import json

COLUMNS = ["id", "name", "company", "message", "created_at", "signed_out_at"]


def _safe_cell(value):
    # A cell starting with one of these is run as a formula by spreadsheet programs.
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def write_csv(visitors, stream):
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    for visitor in visitors:
        row = visitor.as_json()
        writer.writerow([_safe_cell(row[column]) for column in COLUMNS])


def write_json(visitors, stream):
    """A JSON array with one visitor a line, as people and line-based tools read it.

    Every write is a whole line: Django's command output adds a line break to any write
    that lacks one.
    """
    items = (json.dumps(visitor.as_json(), ensure_ascii=False) for visitor in visitors)
    stream.write("[\n")
    previous = next(items, None)
    for item in items:
        stream.write(f"{previous},\n")
        previous = item
    if previous is not None:
        stream.write(f"{previous}\n")
    stream.write("]\n")
