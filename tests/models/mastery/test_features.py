"""History features: counts of earlier answers only, and the online twin that must agree with them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.mastery.features import (
    LearnerHistory,
    build_vocabulary,
    history_features,
    learner_split,
    prepare_responses,
)


def test_counts_use_earlier_answers_of_the_same_learner_only() -> None:
    responses = prepare_responses(
        pd.DataFrame(
            {
                # b's rows come first and out of order: preparation sorts by learner, then seq.
                "learner_id": ["b", "a", "a", "a", "a", "b"],
                "seq": [1, 0, 1, 2, 3, 0],
                "skill_id": ["x", "x", "y", "x", "x", "x"],
                "correct": [1, 1, 0, 0, 1, 1],
            }
        )
    )
    history = history_features(responses, build_vocabulary(responses))
    column = {name: history.numeric[:, i] for i, name in enumerate(history.names)}
    # Rows: a0 x 1, a1 y 0, a2 x 0, a3 x 1, b0 x 1, b1 x 1.
    np.testing.assert_allclose(np.expm1(column["all_attempts"]), [0, 1, 2, 3, 0, 1])
    np.testing.assert_allclose(np.expm1(column["all_correct"]), [0, 1, 1, 1, 0, 1])
    np.testing.assert_allclose(np.expm1(column["skill_attempts"]), [0, 0, 1, 2, 0, 1])
    np.testing.assert_allclose(np.expm1(column["skill_wrong"]), [0, 0, 0, 1, 0, 0])
    np.testing.assert_allclose(np.expm1(column["all_wrong_last3"]), [0, 0, 1, 2, 0, 0])
    np.testing.assert_allclose(column["skill_previous_correct"], [0, 0, 1, 0, 0, 1])
    # Answers since the skill was last practised: a2 is two answers after a0 on x.
    np.testing.assert_allclose(np.expm1(column["skill_steps_since"]), [0, 0, 2, 1, 0, 1])


def test_online_history_reproduces_the_batch_features(train_responses: pd.DataFrame) -> None:
    responses = prepare_responses(
        train_responses[train_responses["learner_id"].isin(["train-0000", "train-0001"])]
    )
    vocabulary = build_vocabulary(responses)
    batch = history_features(responses, vocabulary)
    for _, rows in responses.groupby("learner_id"):
        history = LearnerHistory(vocabulary.n_skills)
        for row, skill, correct in zip(
            rows.index, vocabulary.skill_codes(rows["skill_id"]), rows["correct"], strict=True
        ):
            np.testing.assert_allclose(history.features(np.array([skill]))[0], batch.numeric[row])
            history = history.after(int(skill), bool(correct))


def test_unseen_skills_share_one_code() -> None:
    vocabulary = build_vocabulary(
        prepare_responses(
            pd.DataFrame({"learner_id": ["a", "a"], "seq": [0, 1], "skill_id": ["x", "y"], "correct": [1, 0]})
        )
    )
    assert vocabulary.skill_codes(pd.Series(["y", "z", "w"])).tolist() == [1, 2, 2]


def test_learner_split_keeps_learners_whole(train_responses: pd.DataFrame) -> None:
    first, second = learner_split(prepare_responses(train_responses), validation_share=0.2, seed=0)
    assert set(first["learner_id"]).isdisjoint(second["learner_id"])
    assert second["learner_id"].nunique() == 60
    assert len(first) + len(second) == len(train_responses)


@pytest.mark.parametrize("problem", ["missing", "not_binary", "empty"])
def test_bad_responses_are_refused(problem: str) -> None:
    frame = pd.DataFrame({"learner_id": ["a"], "seq": [0], "skill_id": ["x"], "correct": [1]})
    if problem == "missing":
        frame = frame.drop(columns="skill_id")
    elif problem == "not_binary":
        frame["correct"] = 2
    else:
        frame["skill_id"] = None
    with pytest.raises(ValueError):
        prepare_responses(frame)
