"""405 answers that name every method the resource supports.

Starlette answers a method a path does not serve with the ``Allow`` of the first route matching the path;
FastAPI makes one route per method, so ``PATCH /courses/{id}`` answered ``Allow: GET`` although the same
path also serves PATCH and DELETE. This handler collects the methods of every route matching the path.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.routing import get_route_path

from skillstudio.web.problems import problem_response


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """The methods of every route whose path matches the request's."""
    path = get_route_path(request.scope)
    methods: set[str] = set()
    for route in iter_route_contexts(app.routes):
        regex = getattr(route, "path_regex", None)
        if route.methods and regex is not None and regex.match(path):
            methods |= route.methods
    return sorted(methods)


def install_method_not_allowed(app: FastAPI) -> None:
    async def _not_allowed(request: Request, exc: Exception) -> JSONResponse:
        allow = ", ".join(allowed_methods(app, request))
        return problem_response(
            405,
            f"{request.method} is not supported here; this resource supports {allow}.",
            request=request,
            headers={"Allow": allow},
        )

    app.add_exception_handler(405, _not_allowed)
