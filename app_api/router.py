"""All learning-API routers, mounted under ``/api/v1`` by the app factory."""

from fastapi import APIRouter

from app_api.events.router import router as events_router

api_router = APIRouter()
api_router.include_router(events_router)
