"""Request bodies of the social routes are refused past ``MAX_BODY_BYTES`` (64 KiB) with 413, unparsed.

FastAPI reads and parses a route's body before any dependency runs, so the limit sits in the route class:
a declared ``Content-Length`` over the limit is refused at once, and a body sent without one (chunked) is
read only up to the limit. Either way the JSON is never parsed. 64 KiB holds the longest text a post may
have (20,000 characters, up to 80,000 bytes of UTF-8 in theory, but 20,000 ASCII characters in 20 KiB);
text beyond that is spam or an attack, not a discussion.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from skillstudio.web.problems import PROBLEM_JSON, problem_response

MAX_BODY_BYTES = 64 * 1024

TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "description": f"The body is larger than {MAX_BODY_BYTES} bytes (64 KiB); it was not read.",
        "content": {PROBLEM_JSON: {}},
    }
}


def _too_large(request: Request) -> Response:
    return problem_response(
        413,
        f"The request body is larger than {MAX_BODY_BYTES} bytes (64 KiB), the most a post may take.",
        request=request,
        max_bytes=MAX_BODY_BYTES,
    )


class LimitedBodyRoute(APIRoute):
    """An ``APIRoute`` that refuses bodies over ``MAX_BODY_BYTES`` before FastAPI reads them."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            if request.method in {"POST", "PUT", "PATCH"}:
                declared = request.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
                    return _too_large(request)
                if declared is None:
                    body = bytearray()
                    async for chunk in request.stream():
                        body.extend(chunk)
                        if len(body) > MAX_BODY_BYTES:
                            return _too_large(request)
                    request._body = bytes(body)  # what FastAPI reads next, instead of the spent stream
            return await handler(request)

        return limited
