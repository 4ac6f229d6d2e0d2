"""Learners' hidden traits: taste, ability per skill and how it grows, engagement, dropout propensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillstudio.sources.synthetic.catalogue import Catalogue, random_ids
from skillstudio.sources.synthetic.config import SUBJECT_SKILLS, GeneratorConfig

# Share of activity by hour of day (UTC): quiet nights, a lunch bump and an evening peak.
HOUR_WEIGHTS = np.array(
    [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 12, 12, 10, 6, 3], dtype=float
)
HOUR_SHARES = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()


@dataclass(frozen=True)
class Learners:
    """One batch of learners; ``first_number`` numbers them across batches (for e-mail addresses)."""

    first_number: int
    ids: np.ndarray
    signup_day: np.ndarray
    signup_us: np.ndarray
    taste: np.ndarray
    initial_theta: np.ndarray  # (learners, skills)
    learning_rate: np.ndarray  # (learners, skills)
    engagement: np.ndarray
    weekend_effect: np.ndarray
    preferred_hour: np.ndarray
    dropout_propensity: np.ndarray
    wanted_courses: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def draw_learners(
    rng: np.random.Generator,
    config: GeneratorConfig,
    catalogue: Catalogue,
    *,
    count: int,
    first_number: int,
    first_day_us: int,
) -> Learners:
    """Abilities share a general and a per-subject part, so skills of one subject go together."""
    skills = len(catalogue.skill_names)
    per_subject = len(next(iter(SUBJECT_SKILLS.values())))
    general = rng.normal(size=(count, 1))
    subject = np.repeat(rng.normal(scale=0.5, size=(count, skills // per_subject)), per_subject, axis=1)
    initial_theta = 0.6 * general + subject + rng.normal(scale=0.4, size=(count, skills))
    learning_rate = rng.lognormal(np.log(0.35), 0.4, size=(count, 1)) * rng.lognormal(
        0.0, 0.2, size=(count, skills)
    )
    signup_day = rng.integers(0, config.days, size=count)
    # Sign-ups end by 20:00 so that a first session fits in the last day.
    signup_hour = np.minimum(rng.choice(24, size=count, p=HOUR_SHARES), 20)
    signup_us = (
        first_day_us
        + signup_day * 86_400_000_000
        + signup_hour * 3_600_000_000
        + rng.integers(0, 3_600_000_000, size=count)
    )
    preferred_hour = rng.choice(24, size=count, p=HOUR_SHARES) + rng.random(count)
    return Learners(
        first_number=first_number,
        ids=random_ids(rng, count),
        signup_day=signup_day,
        signup_us=signup_us,
        taste=rng.normal(size=(count, config.taste_factors)),
        initial_theta=initial_theta,
        learning_rate=learning_rate,
        engagement=rng.normal(0.0, 0.8, size=count),
        weekend_effect=rng.normal(-0.9, 0.6, size=count),
        preferred_hour=preferred_hour,
        dropout_propensity=rng.normal(-2.8, 0.5, size=count),
        wanted_courses=np.minimum(config.courses, 1 + rng.poisson(config.mean_enrollments - 1, size=count)),
    )
