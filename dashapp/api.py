"""The metrics REST API (``/api/v1``): the same numbers as the pages, for other tools.

Callers authenticate with a per-user API token (``Authorization: Bearer …``,
issued by ``channelperf users token``); the token carries its user's role and
the role matrix decides what it may read. The API is an executive-level page;
a metric is readable only by roles that may read every measure it is built from
(marketing spend is the Budget page's data: spend, ROAS and CAC are for planners
and up). ``/api/v1/openapi.json`` describes it all (OpenAPI 3.1).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request

from analytics.compare import BY_CHOICES
from analytics.compare import FILTER_PARAMETERS
from analytics.compare import TIME_GRAINS
from analytics.compare import ParameterError
from analytics.compare import as_payload
from analytics.compare import parse_request
from analytics.compare import table_for
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import may_read
from analytics.periods import COMPARISONS
from dashapp.access import at_least
from db.settings import get_settings
from db.users import UserInfo
from db.users import token_owner

PREFIX = "/api/v1"
API_ROLES = at_least("executive")
SINGLE_PARAMETERS = ("metric", "by", "start", "end", "grain")

api = Blueprint("api_v1", __name__, url_prefix=PREFIX)


def _error(status: int, error: str, message: str, parameter: str | None = None) -> Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if parameter is not None:
        body["parameter"] = parameter
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="channelperf"'
    return response


def _token_user() -> UserInfo | Response:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "unauthorized", "send an API token: Authorization: Bearer <token>")
    user = token_owner(token.strip())
    if user is None:
        return _error(401, "unauthorized", "the API token is not valid (unknown or revoked)")
    if not user.active:
        # The token is genuine; its owner is not allowed in any more.
        return _error(403, "forbidden", f"the account {user.username} is disabled")
    return user


def _single(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ParameterError(name, f"give {name} once, not {len(values)} times")
    return values[0] if values else None


@api.get("/metrics")
def metrics() -> Response:
    user = _token_user()
    if isinstance(user, Response):
        return user
    if user.role not in API_ROLES:
        return _error(403, "forbidden", f"the {user.role} role may not use the API")
    settings = get_settings()
    try:
        single = {name: _single(name) for name in SINGLE_PARAMETERS}
        query = parse_request(
            **single,
            max_days=settings.max_range_days,
            compare=request.args.getlist("compare"),
            filters={p: request.args.getlist(p) for p in FILTER_PARAMETERS if p in request.args},
        )
    except ParameterError as error:
        return _error(400, "bad_request", str(error), error.parameter)
    if not may_read(query.metric, user.role):
        return _error(403, "forbidden", f"the {user.role} role may not read {query.metric}")
    try:
        table = table_for(query, settings.fiscal_year_start_month)
    except AnalyticsError as error:
        return _error(400, "bad_request", str(error))
    return jsonify(
        as_payload(query, table, settings.base_currency, settings.fiscal_year_start_month)
    )


@api.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


def _nullable(kind: str) -> dict[str, Any]:
    return {"type": [kind, "null"]}


def _array_parameter(name: str, description: str, items: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": items},
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API, built from the same enums the code checks."""
    max_days = get_settings().max_range_days
    code = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"}
    day = {"type": "string", "format": "date"}
    period = {
        "type": "object",
        "required": ["start", "end", "days"],
        "properties": {"start": day, "end": day, "days": {"type": "integer", "minimum": 1}},
    }
    comparison_value = {
        "type": "object",
        "required": ["start", "end", "value", "change", "change_pct"],
        "properties": {
            "start": {"type": ["string", "null"], "format": "date"},
            "end": {"type": ["string", "null"], "format": "date"},
            "value": _nullable("number"),
            "change": _nullable("number"),
            "change_pct": _nullable("number"),
        },
    }
    row = {
        "type": "object",
        "required": ["key", "label", "start", "end", "value"],
        "properties": {
            "key": {
                "type": "string",
                "description": "channel, touchpoint, region or store "
                "code; the bucket's first day for a time breakdown",
            },
            "label": _nullable("string"),
            "bucket": {"type": "string", "description": "e.g. 2024-W09, 2024-02, Q4 FY2024"},
            "start": day,
            "end": day,
            "value": _nullable("number"),
            **{name: {"$ref": "#/components/schemas/ComparisonValue"} for name in COMPARISONS},
        },
    }
    answer = {
        "type": "object",
        "required": [
            "metric",
            "label",
            "unit",
            "currency",
            "by",
            "grain",
            "fiscal_year_start_month",
            "period",
            "comparisons",
            "filters",
            "rows",
        ],
        "properties": {
            "metric": {"type": "string", "enum": list(METRICS)},
            "label": {"type": "string"},
            "unit": {"type": "string", "enum": ["currency", "count", "percent", "ratio"]},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "by": {"type": "string", "enum": list(BY_CHOICES)},
            "grain": {"type": ["string", "null"], "enum": [*TIME_GRAINS, None]},
            "fiscal_year_start_month": {"type": "integer", "minimum": 1, "maximum": 12},
            "period": {"$ref": "#/components/schemas/Period"},
            "comparisons": {
                "type": "object",
                "properties": {n: {"$ref": "#/components/schemas/Period"} for n in COMPARISONS},
                "additionalProperties": False,
            },
            "filters": {
                "type": "object",
                "properties": {p: {"type": "array", "items": code} for p in FILTER_PARAMETERS},
                "additionalProperties": False,
            },
            "rows": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}},
        },
    }
    error = {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden"]},
            "parameter": {"type": "string"},
            "message": {"type": "string"},
        },
    }

    def error_response(description: str, headers: dict | None = None) -> dict[str, Any]:
        body = {"$ref": "#/components/schemas/Error"}
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/json": {"schema": body}},
        }
        if headers:
            response["headers"] = headers
        return response

    parameters = [
        {
            "name": "metric",
            "in": "query",
            "required": True,
            "description": "; ".join(f"{m.name}: {m.label}" for m in METRICS.values()),
            "schema": {"type": "string", "enum": list(METRICS)},
        },
        {
            "name": "by",
            "in": "query",
            "required": True,
            "description": "a breakdown (channel = channel category, touchpoint, region, "
            "location = store) or a time grain (ISO weeks start on Monday; quarters follow "
            "the fiscal year)",
            "schema": {"type": "string", "enum": list(BY_CHOICES)},
        },
        {
            "name": "start",
            "in": "query",
            "required": True,
            "description": "first day, in the reporting time zone",
            "schema": day,
        },
        {
            "name": "end",
            "in": "query",
            "required": True,
            "description": f"last day (inclusive), at most {max_days} days after start",
            "schema": day,
        },
        {
            "name": "grain",
            "in": "query",
            "required": False,
            "description": "split a breakdown by time as well",
            "schema": {"type": "string", "enum": list(TIME_GRAINS)},
        },
        _array_parameter(
            "compare",
            "prior: the period just before (whole months when the range is whole calendar months, "
            "else the same number of days); yoy: the same dates last year",
            {"type": "string", "enum": list(COMPARISONS)},
        ),
        *(_array_parameter(p, f"keep only these {p} codes", code) for p in FILTER_PARAMETERS),
    ]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Channel Performance metrics API",
            "version": "1.0.0",
            "description": "Every metric by channel, place or time, against the prior period "
            "and last year. Ratios are the sum of the numerator over the sum of the "
            "denominator for each row.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            f"{PREFIX}/metrics": {
                "get": {
                    "operationId": "getMetrics",
                    "summary": "A metric for a period, broken down, with comparisons",
                    "parameters": parameters,
                    "responses": {
                        "200": {
                            "description": "the metric per row",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/MetricsResponse"}
                                }
                            },
                        },
                        "400": error_response("a parameter is wrong; `parameter` names it"),
                        "401": error_response(
                            "no valid API token",
                            {"WWW-Authenticate": {"schema": {"type": "string"}}},
                        ),
                        "403": error_response(
                            "the token's role may not read this, or its account is disabled"
                        ),
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Period": period,
                "ComparisonValue": comparison_value,
                "Row": row,
                "MetricsResponse": answer,
                "Error": error,
            },
        },
    }
