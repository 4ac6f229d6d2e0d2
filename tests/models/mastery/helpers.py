"""Learners simulated from a known Bayesian knowledge tracing process, shared by the mastery tests.

Each skill has its own BKT parameters (prior mastery, learning rate, guess, slip). A learner answers a
random skill at each step; once a skill is mastered it stays mastered. The answers therefore depend on
the learner's own history on the skill, which the per-skill mean cannot see and a tracer must find.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.mastery.model import MasteryParams

# name: (prior mastery, learning rate, guess, slip)
SKILLS = {
    "fractions": (0.2, 0.15, 0.2, 0.1),
    "decimals": (0.4, 0.10, 0.25, 0.1),
    "ratios": (0.1, 0.20, 0.15, 0.05),
    "algebra": (0.3, 0.05, 0.3, 0.15),
}
# Small enough to fit in seconds, big enough to learn four skills. The ensemble's composition (GRUs
# and one attention network) is the shipped one; the attention's context is shorter than a learner's
# 40 answers, so the oldest answers do fall out of it.
SMALL = MasteryParams(
    hidden=16, epochs=6, patience=2, batch_size=32, window=40, learning_rate=1e-2, seed=3, context=8, heads=2
)

# One attention network (the second family) on the same small settings.
ATTENTIVE = replace(SMALL, attention_members=1)


def simulate(n_learners: int, answers: int, *, seed: int, prefix: str = "learner") -> pd.DataFrame:
    """Responses of ``n_learners`` learners with ``answers`` answers each, in the long format."""
    rng = np.random.default_rng(seed)
    names = list(SKILLS)
    rows = []
    for learner in range(n_learners):
        mastered = {name: rng.random() < SKILLS[name][0] for name in names}
        for seq in range(answers):
            skill = names[rng.integers(len(names))]
            _, learn, guess, slip = SKILLS[skill]
            correct = rng.random() < (1.0 - slip if mastered[skill] else guess)
            mastered[skill] = mastered[skill] or rng.random() < learn
            rows.append((f"{prefix}-{learner:04d}", seq, skill, int(correct)))
    return pd.DataFrame(rows, columns=["learner_id", "seq", "skill_id", "correct"])
