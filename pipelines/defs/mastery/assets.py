"""Skill mastery: the knowledge tracer trained on graded answers, tracked and registered in MLflow."""
# No "from __future__ import annotations": Dagster inspects the context annotation at definition time.

from dataclasses import replace

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from dagster_dbt import get_asset_key_for_model

from models.mastery.agreement import learner_mastery, spearman_with_truth
from models.mastery.model import DEFAULT_PARAMS, MasteryParams
from models.mastery.registry import log_metrics
from models.mastery.train import train_skill_mastery
from pipelines.defs.analytics.assets import analytics_dbt_assets
from pipelines.defs.recommendations.assets import GROUP
from pipelines.defs.resources import MLflowResource, PostgresResource

SKILL_RESPONSES = get_asset_key_for_model([analytics_dbt_assets], "fct_skill_responses")
# learner_seq is the long format's seq (over all of a learner's skills); the question is the item.
RESPONSES_QUERY = (
    "select learner_id::text as learner_id, learner_seq as seq, skill_id::text as skill_id, "
    "correct::int as correct, question_id::text as item_id from analytics.fct_skill_responses"
)
# Only generated histories have a truth schema; elsewhere there is nothing to agree with.
TRUTH_QUERY = (
    "select learner_id::text as learner_id, skill_id::text as skill_id, final_theta as theta "
    "from truth.learner_skill_ability"
)


class MasteryTrainingConfig(Config):
    """The hyper-parameters a run may override (tests and demos shrink the network and the epochs)."""

    hidden: int = DEFAULT_PARAMS.hidden
    epochs: int = DEFAULT_PARAMS.epochs
    window: int = DEFAULT_PARAMS.window
    batch_size: int = DEFAULT_PARAMS.batch_size
    seed: int = DEFAULT_PARAMS.seed

    def params(self) -> MasteryParams:
        return replace(
            DEFAULT_PARAMS,
            hidden=self.hidden,
            epochs=self.epochs,
            window=self.window,
            batch_size=self.batch_size,
            seed=self.seed,
        )


@asset(deps=[SKILL_RESPONSES], group_name=GROUP, compute_kind="torch")
def skill_mastery(
    context: AssetExecutionContext,
    config: MasteryTrainingConfig,
    postgres: PostgresResource,
    mlflow: MLflowResource,
) -> MaterializeResult:
    """Train, evaluate against per-skill mean, PFA and the champion, register, move `champion` if it
    beats it; on generated data, the Spearman correlation of mastery with the true abilities."""
    responses = postgres.read_frame(RESPONSES_QUERY)
    if responses.empty:
        raise ValueError("fct_skill_responses is empty: learners must answer graded questions first")
    result = train_skill_mastery(
        responses, tracking_uri=mlflow.tracking_uri, params=config.params(), progress=context.log.debug
    )
    agreement: dict[str, float] = {}
    has_truth = postgres.read_row("select to_regclass('truth.learner_skill_ability') is not null as found")
    if has_truth["found"]:
        truth = postgres.read_frame(TRUTH_QUERY)
        if not truth.empty:
            mastery = learner_mastery(result.model, responses)
            agreement = {
                "truth_spearman": spearman_with_truth(mastery, truth),
                "truth_spearman_within_skill": spearman_with_truth(mastery, truth, within_skill=True),
            }
            log_metrics(tracking_uri=mlflow.tracking_uri, run_id=result.run_id, metrics=agreement)
    against_champion = (
        "no champion yet"
        if result.compared_with is None
        else f"champion v{result.compared_with} {result.metrics['champion_auc']:.3f}"
    )
    context.log.info(
        "skill_mastery v%s is %s: AUC %.3f vs per-skill mean %.3f and PFA %.3f, %s%s",
        result.model_version,
        result.alias,
        result.metrics["auc"],
        result.metrics["baseline_auc"],
        result.metrics["pfa_auc"],
        against_champion,
        "".join(f", {name} {value:.3f}" for name, value in agreement.items()),
    )
    return MaterializeResult(
        metadata={
            "model_version": result.model_version,
            "alias": result.alias,
            "mlflow_run_id": result.run_id,
            "learners": result.n_learners,
            "skills": result.n_skills,
            "responses": result.n_responses,
            **{
                name: MetadataValue.float(float(value))
                for name, value in (result.metrics | agreement).items()
            },
        }
    )
