"""Synthetic learning histories with a hidden truth that models can be scored against.

``generate`` writes a catalogue (skills, courses, lessons, quizzes of IRT items in a question bank whose
difficulty is an author's estimate, prerequisites), learners who choose courses by hidden taste, study with
engagement that comes and goes, answer questions with an ability that grows with practice (each answer an
attempt item and an event) and drop out more after failing, and the events of all that (through the event
store's bulk loader, ``skillstudio.events.EventLoader``, in the store's own columns:
``GENERATED_COLUMNS``); ``truth.*`` receives the hidden parameters. The same config, end date included,
gives the same rows, ids included.
"""

from skillstudio.sources.synthetic.catalogue import Catalogue, build_catalogue
from skillstudio.sources.synthetic.config import (
    GeneratedCounts,
    GenerationProgress,
    GeneratorConfig,
    Progress,
)
from skillstudio.sources.synthetic.event_buffer import GENERATED_COLUMNS
from skillstudio.sources.synthetic.generator import (
    SimulatedBatch,
    first_day,
    generate,
    has_history,
    simulate_batches,
)

__all__ = [
    "GENERATED_COLUMNS",
    "Catalogue",
    "GeneratedCounts",
    "GenerationProgress",
    "GeneratorConfig",
    "Progress",
    "SimulatedBatch",
    "build_catalogue",
    "first_day",
    "generate",
    "has_history",
    "simulate_batches",
]
