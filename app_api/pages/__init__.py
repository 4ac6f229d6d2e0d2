"""Web pages under ``/app``: server-rendered dashboards for admins, instructors and learners (issue 14).

The pages are a web-facing domain of the learning API: they read the other domains through their
``service`` modules (analytics for every figure, so a page shows what the mart holds) and never touch
raw events. What app_api may not import (the serving layer's recommendations, the Dagster instance and
MLflow for system health) reaches them as callbacks the composition root wires (``sources.PageSources``).
"""
