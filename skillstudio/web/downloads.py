"""A file the browser saves rather than shows (certificates' PDFs, from the API and from the pages)."""

from __future__ import annotations

from fastapi.responses import Response


def attachment(data: bytes, *, media_type: str, filename: str) -> Response:
    """``data`` as a download named ``filename`` (a name the caller made: no quoting is done here)."""
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
