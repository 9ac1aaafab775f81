"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

Generated from the rules themselves: the request body from VisitorForm (and through it the
model's fields and validators), the query parameters from ApiPageForm, so the document says
exactly what the API accepts. tests/app/test_openapi.py and the schemathesis runs (in process
and through nginx) hold the two together.
"""

import sys

from django import forms
from django.conf import settings

from visitors.forms import ApiPageForm, VisitorForm
from visitors.validators import PrintableTextValidator

# What a form's CharField trims from both ends before any rule applies: str.strip()'s
# whitespace, control characters such as U+001C among it.
WHITESPACE = frozenset(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
CONTROLS = frozenset(chr(code) for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)))


def char_class(excluded=frozenset(), included=frozenset()):
    """A regular-expression class, written with \\u escapes both Python and ECMA 262 read."""
    chars, negate = (excluded, True) if excluded else (included, False)
    if not chars:
        raise ValueError("an empty class means nothing in one dialect and anything in another")
    ranges, codes = [], sorted(map(ord, chars))
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    body = "".join(
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    )
    return f"[{'^' if negate else ''}{body}]"


def text_rules(field, validators=()):
    """(max length, characters refused) of a form's CharField, from its validators and
    `validators` (a ModelForm runs its model field's validators, it does not copy them)."""
    refused = set()
    for validator in [*field.validators, *validators]:
        if isinstance(validator, PrintableTextValidator):
            refused |= CONTROLS - set(validator.allowed)
    return field.max_length, frozenset(refused)


def text_pattern(field, trimmed, validators, may_be_empty):
    """The strings the field accepts: `trimmed` says whether surrounding whitespace may come.

    The limits hold for the text between the first and last character that is not
    whitespace, as the form trims before it checks: a regular expression says that, where
    maxLength would count the spaces too.
    """
    limit, refused = text_rules(field, validators)
    edge = char_class(excluded=refused | WHITESPACE)
    inner = char_class(excluded=refused)
    text = f"{edge}(?:{inner}{{0,{limit - 2}}}{edge})?"
    if may_be_empty:
        text = f"(?:{text})?"
    padding = f"{char_class(included=WHITESPACE)}*" if trimmed else ""
    return f"^{padding}{text}{padding}$"


def text_schema(field, trimmed, validators=(), may_be_empty=None):
    """A CharField's strings; it may be empty unless it is required (or `may_be_empty` says)."""
    may_be_empty = not field.required if may_be_empty is None else may_be_empty
    limit, refused = text_rules(field, validators)
    kept = ", ".join(f"U+{ord(char):04X}" for char in sorted(CONTROLS - refused))
    return {
        "type": "string",
        "pattern": text_pattern(field, trimmed, validators, may_be_empty),
        "description": (
            f"{int(not may_be_empty)} to {limit} characters"
            + (", not counting whitespace at either end, which is trimmed" if trimmed else "")
            + "; no control characters"
            + (f" but {kept} inside the text" if kept else "")
        ),
    }


def visitor_text_schema(name, field, trimmed):
    validators = VisitorForm._meta.model._meta.get_field(name).validators
    return text_schema(field, trimmed, validators)


def integer_schema(field):
    return {"type": "integer", "minimum": field.min_value, "maximum": field.max_value}


def new_visitor_schema():
    fields = VisitorForm().fields
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [name for name, field in fields.items() if field.required],
        "properties": {
            name: visitor_text_schema(name, field, trimmed=field.strip)
            for name, field in fields.items()
        },
    }


def visitor_schema():
    fields = VisitorForm().fields
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", *fields, "created_at", "signed_out_at"],
        "properties": {
            "id": ID,
            **{
                name: visitor_text_schema(name, field, trimmed=False)
                for name, field in fields.items()
            },
            "created_at": {"type": "string", "format": "date-time"},
            "signed_out_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "When the visitor left; null while in the building",
            },
        },
    }


QUERY = ApiPageForm.base_fields
# A visitor's id: the cursor `before` is one, so both follow the form's rule.
ID = integer_schema(QUERY["before"])
QUERY_DESCRIPTIONS = {
    "before": "Cursor: only visitors with a smaller id. Follow `next`.",
    "q": "Only visitors whose name or company contains this text, ignoring case and accents.",
    "limit": "How many visitors a page holds.",
    "present": "true: only visitors still in the building; false: only those who left.",
}
QUERY_DEFAULTS = {"limit": settings.VISITORS_PAGE_SIZE}


def query_schema(field):
    if isinstance(field, forms.TypedChoiceField):
        return {"type": "string", "enum": [value for value, _ in field.choices]}
    if isinstance(field, forms.CharField):
        return text_schema(field, trimmed=field.strip, may_be_empty=False)
    return integer_schema(field)


def query_parameters():
    return [
        {
            "name": name,
            "in": "query",
            "required": field.required,
            "description": QUERY_DESCRIPTIONS[name] + " Give it at most once.",
            "schema": query_schema(field)
            | ({"default": QUERY_DEFAULTS[name]} if name in QUERY_DEFAULTS else {}),
        }
        for name, field in QUERY.items()
    ]


def schema_ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def answer(description, schema, **headers):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = {
            name: {"description": text, "schema": schema}
            for name, (text, schema) in headers.items()
        }
    return response


def error(description, **headers):
    return answer(description, schema_ref("Error"), **headers)


# Every error body names its request, whichever layer answered (nginx or the app).
REQUEST_ID = {
    "type": "string",
    "description": (
        "The request's id, also in the X-Request-ID header: quote it when reporting a problem"
    ),
}
RETRY_AFTER = {"Retry-After": ("Seconds to wait before retrying", {"type": "integer"})}
TOO_MANY_WRITES = error("Too many writes from this address; retry after Retry-After", **RETRY_AFTER)
HEADER_TOO_LONG = "A header is too long (nginx's limit, 8 KiB)"
UNAUTHORIZED = error("The bearer token is missing or wrong")


def responses(own, invalid=None):
    """An operation's answers: its own, and those any request under /api can get from nginx.

    invalid: (description, schema name) of the operation's own 400, if it has one.
    """
    texts, schemas = [HEADER_TOO_LONG], ["Error"]
    if invalid:
        texts.insert(0, invalid[0])
        schemas.insert(0, invalid[1])
    return {
        **own,
        "400": answer("; or ".join(texts), {"anyOf": [schema_ref(name) for name in schemas]}),
        "414": error("The address is too long (nginx's limit, 8 KiB)"),
        "503": error(
            "The app or its database is unavailable; retry after Retry-After", **RETRY_AFTER
        ),
    }


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Visitors API",
        "version": "1.0.0",
        "description": (
            "Visitor registration. Every call but this document needs "
            "`Authorization: Bearer <token>`: reads take the API token or the read-only token, "
            "writes only the API token (`manage.py credentials` shows both). "
            "Every answer is JSON, errors included."
        ),
    },
    "servers": [{"url": "/"}],
    "paths": {
        "/api/visitors": {
            "get": {
                "operationId": "listVisitors",
                "summary": "Visitors, newest first, a page at a time",
                "security": [{"bearerToken": []}],
                "parameters": query_parameters(),
                "responses": responses(
                    {
                        "200": answer("A page of visitors", schema_ref("VisitorPage")),
                        "401": UNAUTHORIZED,
                    },
                    ("A query parameter is invalid", "ValidationErrors"),
                ),
            },
            "post": {
                "operationId": "createVisitor",
                "summary": "Sign a visitor in",
                "security": [{"bearerToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema_ref("NewVisitor")}},
                },
                "responses": responses(
                    {
                        "201": answer(
                            "The visitor was created",
                            schema_ref("Visitor"),
                            Location=("The new visitor's URL", {"type": "string", "format": "uri"}),
                        ),
                        "401": UNAUTHORIZED,
                        "403": error("The token is the read-only one"),
                        "413": error("The body is too large"),
                        "415": error("The body is not application/json"),
                        "429": TOO_MANY_WRITES,
                    },
                    ("Invalid fields, malformed JSON or a non-object body", "ValidationErrors"),
                ),
            },
        },
        "/api/visitors/{id}": {
            "get": {
                "operationId": "getVisitor",
                "summary": "One visitor",
                "security": [{"bearerToken": []}],
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
                "responses": responses(
                    {
                        "200": answer("The visitor", schema_ref("Visitor")),
                        "401": UNAUTHORIZED,
                        "404": error("No visitor has this id"),
                    }
                ),
            }
        },
        "/api/visitors/{id}/sign-out": {
            "post": {
                "operationId": "signOutVisitor",
                "summary": "Sign a visitor out: they have left the building",
                "security": [{"bearerToken": []}],
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
                "responses": responses(
                    {
                        "200": answer("The visitor, signed out now", schema_ref("Visitor")),
                        "401": UNAUTHORIZED,
                        "403": error("The token is the read-only one"),
                        "404": error("No visitor has this id"),
                        "409": error("The visitor had already signed out"),
                        "429": TOO_MANY_WRITES,
                    }
                ),
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "responses": responses({"200": {"description": "The OpenAPI document"}}),
            }
        },
    },
    "components": {
        "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "NewVisitor": new_visitor_schema(),
            "Visitor": visitor_schema(),
            "VisitorPage": {
                "type": "object",
                "additionalProperties": False,
                "required": ["results", "next"],
                "properties": {
                    "results": {"type": "array", "items": schema_ref("Visitor")},
                    "next": {
                        "type": ["string", "null"],
                        "format": "uri",
                        "description": "The next (older) page, or null on the last one",
                    },
                },
            },
            "ValidationErrors": {
                "type": "object",
                "required": ["errors", "request_id"],
                "properties": {
                    "errors": {
                        "type": "object",
                        "description": "Messages by field name",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                    "request_id": REQUEST_ID,
                },
            },
            "Error": {
                "type": "object",
                "required": ["error", "request_id"],
                "properties": {"error": {"type": "string"}, "request_id": REQUEST_ID},
            },
        },
    },
}
