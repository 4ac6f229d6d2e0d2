"""All learning-API routers, mounted under ``/api/v1`` by the app factory."""

from fastapi import APIRouter

from app_api.analytics.router import router as analytics_router
from app_api.assessments.router import router as assessments_router
from app_api.auth.router import router as auth_router
from app_api.certificates.router import router as certificates_router
from app_api.courses.router import router as courses_router
from app_api.enrollments.router import router as enrollments_router
from app_api.events.router import router as events_router
from app_api.gamification.router import router as gamification_router
from app_api.goals.router import router as goals_router
from app_api.mastery.router import router as mastery_router
from app_api.notifications.router import router as notifications_router
from app_api.paths.router import router as paths_router
from app_api.progress.router import router as progress_router
from app_api.risk.router import router as risk_router
from app_api.social.router import router as social_router
from app_api.users.router import router as users_router

api_router = APIRouter()
api_router.include_router(events_router)
api_router.include_router(auth_router)
api_router.include_router(users_router)
api_router.include_router(courses_router)
api_router.include_router(enrollments_router)
api_router.include_router(progress_router)
api_router.include_router(assessments_router)
api_router.include_router(goals_router)
api_router.include_router(analytics_router)
api_router.include_router(notifications_router)
api_router.include_router(paths_router)
api_router.include_router(mastery_router)
api_router.include_router(risk_router)
api_router.include_router(social_router)
api_router.include_router(certificates_router)
api_router.include_router(gamification_router)
