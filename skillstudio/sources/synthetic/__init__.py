"""Synthetic learning histories with a hidden truth that models can be scored against.

``generate`` writes a catalogue (skills, courses, lessons, quizzes of IRT items, prerequisites),
learners who choose courses by hidden taste, study with engagement that comes and goes, answer questions
with an ability that grows with practice and drop out more after failing, and the events of all that
(through ``skillstudio.events.bulk_load``); ``truth.*`` receives the hidden parameters. The same config, end
date included, gives the same rows, ids included.
"""

from skillstudio.sources.synthetic.config import (
    GeneratedCounts,
    GenerationProgress,
    GeneratorConfig,
    Progress,
)
from skillstudio.sources.synthetic.generator import generate, has_history

__all__ = ["GeneratedCounts", "GenerationProgress", "GeneratorConfig", "Progress", "generate", "has_history"]
