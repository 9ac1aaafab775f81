"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json."""


def _error(description):
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description, schema_name):
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
        },
    }


# Control characters the API refuses (a message may keep tabs and line breaks).
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_text = {"type": "string", "pattern": rf"^[^{_CONTROL}]*$"}
_name_pattern = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Visitors API",
        "version": "1.0.0",
        "description": (
            "Visitor registration. Reads are public; writes need "
            "`Authorization: Bearer <token>` with the token the operator configured "
            "(VISITORS_API_TOKEN_FILE)."
        ),
    },
    "servers": [{"url": "/"}],
    "paths": {
        "/api/visitors": {
            "get": {
                "operationId": "listVisitors",
                "summary": "Visitors, newest first, a page at a time",
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "description": "How many visitors a page holds.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "description": "Cursor: only visitors with a smaller id. Follow `next`.",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
                    },
                ],
                "responses": {
                    "200": _json("A page of visitors", "VisitorPage"),
                    "400": _json("A query parameter is invalid", "ValidationErrors"),
                    "503": _error("The database is unavailable; retry after Retry-After"),
                },
            },
            "post": {
                "operationId": "createVisitor",
                "summary": "Sign a visitor in",
                "security": [{"bearerToken": []}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/NewVisitor"}}
                    },
                },
                "responses": {
                    "201": {
                        **_json("The visitor was created", "Visitor"),
                        "headers": {
                            "Location": {
                                "description": "The new visitor's URL",
                                "schema": {"type": "string", "format": "uri"},
                            }
                        },
                    },
                    "400": {
                        "description": "Invalid fields, malformed JSON or a non-object body",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/ValidationErrors"},
                                        {"$ref": "#/components/schemas/Error"},
                                    ]
                                }
                            }
                        },
                    },
                    "401": _error("The bearer token is missing or wrong"),
                    "413": _error("The body is too large"),
                    "415": _error("The body is not application/json"),
                    "503": _error("The database is unavailable; retry after Retry-After"),
                },
            },
        },
        "/api/visitors/{id}": {
            "get": {
                "operationId": "getVisitor",
                "summary": "One visitor",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    }
                ],
                "responses": {
                    "200": _json("The visitor", "Visitor"),
                    "404": _error("No visitor has this id"),
                    "503": _error("The database is unavailable; retry after Retry-After"),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "operationId": "getOpenApiDocument",
                "summary": "This document",
                "responses": {"200": {"description": "The OpenAPI document"}},
            }
        },
    },
    "components": {
        "securitySchemes": {"bearerToken": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "NewVisitor": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {
                        "type": "string",
                        # At least one character that is not a space.
                        "pattern": _name_pattern,
                        "minLength": 1,
                        "maxLength": 100,
                        "description": "1 to 100 characters; surrounding spaces are trimmed",
                    },
                    "company": {**_text, "maxLength": 100},
                    "message": {
                        "type": "string",
                        "pattern": r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$",
                        "maxLength": 500,
                        "description": "Newlines and tabs allowed; other control characters not",
                    },
                },
            },
            "Visitor": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name", "company", "message", "created_at"],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "company": {"type": "string", "maxLength": 100},
                    "message": {"type": "string", "maxLength": 500},
                    "created_at": {"type": "string", "format": "date-time"},
                },
            },
            "VisitorPage": {
                "type": "object",
                "additionalProperties": False,
                "required": ["results", "next"],
                "properties": {
                    "results": {"type": "array", "items": {"$ref": "#/components/schemas/Visitor"}},
                    "next": {
                        "type": ["string", "null"],
                        "format": "uri",
                        "description": "The next (older) page, or null on the last one",
                    },
                },
            },
            "ValidationErrors": {
                "type": "object",
                "required": ["errors"],
                "properties": {
                    "errors": {
                        "type": "object",
                        "description": "Messages by field name",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    }
                },
            },
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
        },
    },
}
