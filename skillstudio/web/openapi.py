"""The OpenAPI document as the app really answers, derived from each route's dependencies.

FastAPI documents what a route declares: its parameters, its body, the ``responses=`` its author listed,
and a 422 as plain JSON. What the app answers is more: every error is a problem+json document (see
``skillstudio.web.problems``), and most error statuses follow from what a route depends on. Rather than
asking every route to list them (and drift), ``install_openapi`` post-processes the generated document:

* a route that needs an access token (``current_user`` among its dependencies) may answer 401, and 403
  when a role check (``require_role``) guards it; a route that reads a token only when one is sent keeps
  an optional security requirement (``{}`` among the alternatives), and one that reads none declares none;
* a path parameter names a row the route looks up: 404 (except ``learner_id``, see ``_looks_up_rows``);
* any parameter or body is validated: 422, with field-level ``errors``; a body that cannot be parsed: 400;
* a ``cursor`` query parameter takes only a cursor its own list issued (keyset pages): any other is a 400;
* an ``If-Match`` header is checked: 412 when stale; when the route answers 428 without it (it says so in
  its ``responses=``), the header is marked required;
* a route using the request's database session answers 503 when the database is busy or unreachable;
* every route may answer 500 on an unexpected error.

Every error status then gets ``application/problem+json`` with the shared ``Problem`` schema. Statuses a
route's dependencies cannot show (409, 413, 429...) stay in its ``responses=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase

from skillstudio.web.dependencies import get_session
from skillstudio.web.problems import PROBLEM_JSON
from skillstudio.web.security import current_user

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document; some errors add members (``errors``, ``current_etag``...).",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "What is wrong with each field (422).",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}
DESCRIPTIONS = {
    400: "The body cannot be parsed as JSON.",
    401: "No valid access token.",
    403: "The caller's role or ownership does not allow this.",
    404: "No such item, or one the caller may not see.",
    412: "If-Match names an older version: read the item again.",
    422: "The request is not valid; `errors` names each field.",
    428: "If-Match is missing.",
    500: "An unexpected error; it has been logged.",
    503: "The database is busy or unreachable; nothing was changed. Retry shortly.",
}
CURSOR_REFUSED = (
    "The cursor was not issued by this list: it comes from another list (the detail names it) or is not "
    "one of ours. Pass next_cursor from this list's previous page, or leave cursor out for the first."
)
# The validation-error schemas FastAPI adds for its own 422, which the app never answers with.
_FASTAPI_422_SCHEMAS = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Serve the post-processed document from ``app.openapi()`` and ``/openapi.json``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = truthful(generate(), app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """``schema`` with each operation's inferred statuses, problem+json errors and real security."""
    # Included routers stay nested in ``app.routes``; their contexts carry the prefix and the router's
    # dependencies.
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if not isinstance(route.original_route, APIRoute) or dependant is None or not route.include_in_schema:
            continue
        for method in route.methods or ():
            _complete(schema["paths"][route.path_format][method.lower()], dependant)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    text = repr(schema["paths"])
    for name in _FASTAPI_422_SCHEMAS:
        if f"/{name}'" not in text:
            components.pop(name, None)
    return schema


def _complete(operation: dict[str, Any], dependant: Dependant) -> None:
    calls = set(_calls(dependant))
    responses: dict[str, Any] = operation.setdefault("responses", {})
    inferred: set[int] = {500}
    if current_user in calls:
        inferred.add(401)
        if any(_is_role_check(call) for call in calls):
            inferred.add(403)
    elif any(isinstance(call, SecurityBase) for call in calls):
        # A token is read when sent (it changes what the caller sees) and refused when bad.
        inferred.add(401)
        operation["security"] = [{}, *operation.get("security", [])]
    else:
        operation.pop("security", None)
    if _looks_up_rows(dependant):
        inferred.add(404)
    if operation.get("parameters") or "requestBody" in operation:
        inferred.add(422)
    bad_request = []
    if "requestBody" in operation:
        bad_request.append(DESCRIPTIONS[400])  # a body that is not JSON at all
    if any(p["in"] == "query" and p["name"] == "cursor" for p in operation.get("parameters", [])):
        bad_request.append(CURSOR_REFUSED)
    if bad_request:
        responses.setdefault("400", {"description": " ".join(bad_request)})
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            inferred.add(412)
            # Only the route knows whether a missing If-Match is refused (428) or means "any version".
            if "428" in responses:
                parameter["required"] = True
    if get_session in calls:
        inferred.add(503)
    for status in inferred:
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        if code.isdigit() and int(code) >= 400:
            _as_problem(int(code), response)


def _as_problem(status: int, response: dict[str, Any]) -> None:
    """The app answers every error with a problem document (``skillstudio.web.problems``)."""
    if not response.get("description") or response["description"] == "Validation Error":
        response["description"] = DESCRIPTIONS.get(status, HTTPStatus(status).phrase)
    response["content"] = {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _is_role_check(call: Callable[..., Any]) -> bool:
    return getattr(call, "__qualname__", "").startswith("require_role.")


def _looks_up_rows(dependant: Dependant) -> bool:
    """Whether a path parameter names a row that may not exist (404).

    ``learner_id`` names whose data to list or rank: an unknown learner has none (an empty page, the
    popular-courses fallback), and a learner asking for another's data gets 403 before any lookup.
    Routes that do look a learner up (the profile) say 404 in their ``responses=``.
    """
    return any(field.alias != "learner_id" for field in _path_params(dependant))


def _path_params(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    for sub in dependant.dependencies:
        yield from _path_params(sub)
