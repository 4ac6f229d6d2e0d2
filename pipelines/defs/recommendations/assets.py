"""Course recommender: implicit ALS on learner-course interactions, tracked and registered in MLflow."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_dbt import get_asset_key_for_model

from models.recommender.features import COURSE_SKILLS_QUERY, COURSES_QUERY, INTERACTIONS_QUERY
from models.recommender.hybrid import Catalog
from models.recommender.train import train_course_recommender
from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.resources import MLflowResource, PostgresResource

GROUP = "models"
INTERACTIONS = get_asset_key_for_model([analytics_dbt_assets], "fct_learner_course_interactions")


def read_catalog(postgres: PostgresResource) -> Catalog:
    """Every course's subject, level and skills, for the hybrid's content signal and its reasons."""
    return Catalog.from_frames(postgres.read_frame(COURSES_QUERY), postgres.read_frame(COURSE_SKILLS_QUERY))


@asset(deps=[INTERACTIONS], group_name=GROUP, compute_kind="implicit")
def course_recommender(
    context: AssetExecutionContext, postgres: PostgresResource, mlflow: MLflowResource
) -> MaterializeResult:
    """Train the hybrid, evaluate it against ALS alone, popularity and the champion, register, move
    `champion` if it beats it."""
    interactions = postgres.read_frame(INTERACTIONS_QUERY)
    if interactions.empty:
        raise ValueError("fct_learner_course_interactions is empty: load or generate learner events first")
    result = train_course_recommender(
        interactions, tracking_uri=mlflow.tracking_uri, catalog=read_catalog(postgres)
    )
    against_champion = (
        "no champion yet"
        if result.compared_with is None
        else f"champion v{result.compared_with} {result.metrics['champion_recall_at_10']:.3f}"
    )
    context.log.info(
        "course_recommender v%s is %s: hybrid recall@10 %.3f vs ALS alone %.3f vs popularity %.3f, %s",
        result.model_version,
        result.alias,
        result.metrics["recall_at_10"],
        result.metrics["als_recall_at_10"],
        result.metrics["baseline_recall_at_10"],
        against_champion,
    )
    return MaterializeResult(
        metadata={
            "model_version": result.model_version,
            "alias": result.alias,
            "mlflow_run_id": result.run_id,
            "learners": result.n_learners,
            "courses": result.n_courses,
            "interactions": result.n_interactions,
            **{name: MetadataValue.float(float(value)) for name, value in result.metrics.items()},
        }
    )
