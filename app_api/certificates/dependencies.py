"""Where the certificates' routes keep their PDFs and point their links: from the app's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from skillstudio.object_storage import ObjectStore, store_from_settings


def get_object_store(request: Request) -> ObjectStore:
    """The app's object store, made once from its settings (tests may set ``app.state.object_store``)."""
    store: ObjectStore | None = getattr(request.app.state, "object_store", None)
    if store is None:
        store = request.app.state.object_store = store_from_settings(request.app.state.settings)
    return store


def get_public_url(request: Request) -> str:
    return str(request.app.state.settings.public_url)


ObjectStoreDep = Annotated[ObjectStore, Depends(get_object_store)]
PublicUrl = Annotated[str, Depends(get_public_url)]
