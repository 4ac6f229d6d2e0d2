"""Installs the learning API's mastery updater: the registered champion, or the IRT rule without one.

Kept out of ``app.py`` so the app factory stays a list of parts. The champion is loaded once, when the
app is created; following the alias when it moves is issue 13 (call :func:`install_mastery_updater`
again — ``app_api.mastery.updaters.install`` swaps it atomically for the next answer).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from skillstudio.settings import Settings

if TYPE_CHECKING:
    from models.mastery import MasteryModel

logger = logging.getLogger(__name__)


def _no_registry(tracking_uri: str) -> bool:
    # The embedded SQLite store that does not exist yet has no champion; asking MLflow would create it
    # (seconds of schema migrations) on every app start of a fresh install and of every test.
    if not tracking_uri.startswith("sqlite:///"):
        return False
    return not Path(tracking_uri.removeprefix("sqlite:///").split("?")[0]).exists()


def install_mastery_updater(settings: Settings, *, champion: tuple[MasteryModel, str] | None = None) -> str:
    """Install the updater answers will use from now on; returns its version (``rule:…`` without one).

    ``champion`` (a model and its version) skips the registry: the benchmark and a reload that already
    holds the new version pass it.
    """
    from app_api.mastery import updaters
    from serving.mastery import ChampionUpdater

    policy = updaters.Policy(
        target=settings.mastery_target_p_correct,
        struggling_target=settings.mastery_struggling_target_p_correct,
        online=settings.mastery_online,
    )
    updater: updaters.MasteryUpdater = updaters.IrtRule()
    tracking_uri = settings.tracking_uri
    if champion is not None:
        updater = ChampionUpdater(*champion)
    elif not _no_registry(tracking_uri):
        from models.mastery.registry import load_champion

        try:
            model, version = load_champion(
                tracking_uri=tracking_uri, registry_name=settings.mastery_model_name
            )
        except LookupError:
            logger.info("no %s champion yet: mastery follows the IRT rule", settings.mastery_model_name)
        else:
            updater = ChampionUpdater(model, version)
    updaters.install(updater, policy)
    return updater.version
