"""The weekly learning-path adjustment, run by a schedule.

The adjustment belongs to the learning API (``app_api.paths.adjustment``: it reads goals, progress and
levels and writes snapshots, events and notifications through the API's services), which pipelines may not
import. The composition root (``skillstudio.main.definitions``) therefore hands it in as the
``learning_paths`` resource: a callable that adjusts every active path in one transaction and returns
counts. Definitions built without it get ``not_wired``, which fails the run with a message saying where
the wired definitions are. (No ``from __future__ import annotations`` here: Dagster reads the op's
``context`` annotation when the op is defined.)
"""

from collections.abc import Callable

from dagster import DefaultScheduleStatus, OpExecutionContext, Output, ScheduleDefinition, job, op

PathAdjuster = Callable[[], dict[str, int]]


def not_wired() -> dict[str, int]:
    raise RuntimeError(
        "The learning-path adjustment is provided by the composition root: load the definitions from "
        "skillstudio.main.definitions (as `skillstudio dagster` does), not pipelines.definitions."
    )


@op(required_resource_keys={"learning_paths"})
def adjust_learning_paths(context: OpExecutionContext) -> Output[dict[str, int]]:
    """Compare every active path with its learner's progress, trend and engagement, and adjust it."""
    counts = context.resources.learning_paths()
    context.log.info(f"learning paths: {counts}")
    return Output(counts, metadata=dict(counts))


@job(name="adjust_learning_paths")
def adjust_learning_paths_job() -> None:
    adjust_learning_paths()


# Monday 04:00 UTC: after the Monday 03:00 retraining, so levels and models are the week's freshest.
adjust_learning_paths_weekly = ScheduleDefinition(
    name="adjust_learning_paths_weekly",
    job=adjust_learning_paths_job,
    cron_schedule="0 4 * * 1",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
)
