"""A batch of learners lived day by day, all of them at once (numpy over learners, a loop over days).

Each day, learners without a course pick one (taste + popularity + Gumbel noise; most of them only among
courses whose prerequisite they have completed), and learners in a course study with a probability
driven by their engagement: a base level, a weekend effect and a momentum that grows with each study day
(streaks), decays on days off, drops after a failed quiz and jumps with a new course. A session is one
to three steps of the course: a lesson (experienced, completed) or a quiz (attempted, answered per
question, passed or failed). Answers follow a 2PL IRT model whose ability grows with practice on the
skill. After each step the learner may drop out, more likely after recent failures and in courses they
like less; three weeks without a session is a dropout too.
"""

from __future__ import annotations

import numpy as np

from skillstudio.sources.synthetic.catalogue import LESSON, QUIZ, Catalogue
from skillstudio.sources.synthetic.config import GeneratorConfig
from skillstudio.sources.synthetic.event_buffer import EventBuffer
from skillstudio.sources.synthetic.learners import Learners
from skillstudio.sources.synthetic.records import Records

MINUTE = 60_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# A session never runs longer than this: on the last day, none starts later than this before midnight.
LONGEST_SESSION = 4 * HOUR
STEPS_PER_SESSION = 3
NEVER = np.iinfo(np.int64).max


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Simulation:
    """The state of one batch: per learner (index into ``learners``) and per enrollment."""

    def __init__(
        self,
        config: GeneratorConfig,
        catalogue: Catalogue,
        learners: Learners,
        rng: np.random.Generator,
        first_day_us: int,
    ) -> None:
        self.config, self.model, self.cat = config, config.model, catalogue
        self.learners, self.rng = learners, rng
        self.first_day_us = first_day_us
        self.end_us = first_day_us + config.days * DAY
        count, courses = len(learners), config.courses
        affinity = learners.taste @ catalogue.course_taste.T / np.sqrt(config.taste_factors)
        self.utility = (
            config.taste_strength * affinity + catalogue.popularity + rng.gumbel(size=(count, courses))
        )
        # Interest in a course, -1..1: the taste match, squashed so that no course is beyond dropping out of.
        self.interest = np.tanh(affinity / 3.0)
        self.taken = np.zeros((count, courses), dtype=bool)
        self.completed_at = np.full((count, courses), NEVER, dtype=np.int64)
        self.practice = np.zeros_like(learners.initial_theta)
        self.active = np.zeros(count, dtype=bool)
        self.enrollment = np.full(count, -1)
        self.course = np.zeros(count, dtype=np.int64)
        self.step = np.zeros(count, dtype=np.int64)
        self.attempt = np.ones(count, dtype=np.int32)
        self.failures = np.zeros(count)
        self.momentum = np.zeros(count)
        self.taken_count = np.zeros(count, dtype=np.int64)
        self.next_enroll = learners.signup_day.copy()
        self.last_session = np.zeros(count, dtype=np.int64)
        self.session_steps = np.zeros(count, dtype=np.int64)
        self.clock = learners.signup_us.copy()
        self.events = EventBuffer()
        self.records = Records(capacity=int(learners.wanted_courses.sum()))

    def run(self) -> None:
        for day in range(self.config.days):
            day_us = self.first_day_us + day * DAY
            self._inactivity(day, day_us)
            self._enroll(day, day_us)
            self._study(day, day_us)

    def _session_start(self, who: np.ndarray, day_us: int, gap_minutes: int) -> np.ndarray:
        """Around the learner's preferred hour, never before their previous event."""
        hour = np.clip(self.learners.preferred_hour[who] + self.rng.normal(0.0, 1.5, len(who)), 0.0, 23.9)
        planned = day_us + (hour * HOUR).astype(np.int64)
        return np.maximum(self.clock[who] + gap_minutes * MINUTE, planned)

    def _enroll(self, day: int, day_us: int) -> None:
        ready = ~self.active & (self.next_enroll <= day) & (self.taken_count < self.learners.wanted_courses)
        who = np.flatnonzero(ready & (self.learners.signup_day <= day))
        if not len(who):
            return
        when = self._session_start(who, day_us, gap_minutes=1)
        first = self.taken_count[who] == 0
        when[first] = self.clock[who[first]] + self.rng.integers(1, 120, int(first.sum())) * MINUTE
        keep = when < self.end_us - LONGEST_SESSION
        who, when = who[keep], when[keep]
        prerequisite = self.cat.prerequisite
        done = self.completed_at[who][:, np.maximum(prerequisite, 0)] < when[:, None]
        unmet = (prerequisite >= 0) & ~done
        utility = self.utility[who].copy()
        utility[self.taken[who]] = -np.inf
        # Most learners only consider courses whose prerequisite they have completed (when any is left).
        respects = self.rng.random(len(who)) < self.model.prerequisite_respect
        open_to_them = np.where(unmet, -np.inf, utility)
        respects &= np.isfinite(open_to_them).any(axis=1)
        course = np.argmax(np.where(respects[:, None], open_to_them, utility), axis=1)
        enrollment = self.records.enroll(who, course, when)
        self.events.add("registered", when, who, course, course, enrollment)
        self.active[who], self.enrollment[who], self.course[who] = True, enrollment, course
        self.step[who], self.attempt[who], self.failures[who] = 0, 1, 0.0
        self.momentum[who] += self.model.new_course_boost
        self.taken[who, course] = True
        self.taken_count[who] += 1
        self.last_session[who] = day
        self.clock[who] = when

    def _study(self, day: int, day_us: int) -> None:
        model, learners = self.model, self.learners
        who = np.flatnonzero(self.active)
        weekend = (day_us // DAY + 3) % 7 >= 5  # 1970-01-01 was a Thursday
        logit = learners.engagement[who] + self.momentum[who] + weekend * learners.weekend_effect[who]
        studies = self.rng.random(len(who)) < sigmoid(logit)
        idle, who = who[~studies], who[studies]
        self.momentum[idle] = self.momentum[idle] * model.momentum_decay - model.lapse_cost
        self.momentum[who] = np.minimum(self.momentum[who] * model.momentum_decay + model.streak_gain, 2.0)
        np.maximum(self.momentum, -3.0, out=self.momentum)
        start = self._session_start(who, day_us, gap_minutes=10)
        fits = start < self.end_us - LONGEST_SESSION
        who, start = who[fits], start[fits]
        self.clock[who] = start
        self.last_session[who] = day
        self.session_steps[who] = 1 + self.rng.binomial(STEPS_PER_SESSION - 1, 0.35, len(who))
        for _ in range(STEPS_PER_SESSION):
            who = who[self.active[who] & (self.session_steps[who] > 0)]
            if not len(who):
                break
            self.session_steps[who] -= 1
            kind = self.cat.step_kind[self.course[who], self.step[who]]
            self._lessons(who[kind == LESSON])
            self._quizzes(who[kind == QUIZ])
            self._after_step(who, day)

    def _lessons(self, who: np.ndarray) -> None:
        cat, rng = self.cat, self.rng
        lesson = cat.step_item[self.course[who], self.step[who]]
        started = self.clock[who] + rng.integers(1, 10, len(who)) * MINUTE
        minutes = np.minimum(rng.gamma(2.0, cat.lesson_minutes[lesson] / 2.0), 60.0)
        finished = started + (minutes * MINUTE).astype(np.int64)
        course, enrollment, obj = self.course[who], self.enrollment[who], cat.lesson_object + lesson
        self.events.add(
            "experienced", started, who, obj, course, enrollment, duration=np.round(minutes * 60, 1)
        )
        self.events.add("completed", finished, who, obj, course, enrollment, completion=1)
        self.practice[who[:, None], cat.course_skills[course]] += self.model.lesson_practice
        self.clock[who] = finished
        self.step[who] += 1

    def _quizzes(self, who: np.ndarray) -> None:
        cat, rng, model, learners = self.cat, self.rng, self.model, self.learners
        if not len(who):
            return
        quiz = cat.step_item[self.course[who], self.step[who]]
        course, enrollment, attempt = self.course[who], self.enrollment[who], self.attempt[who]
        started = self.clock[who] + rng.integers(1, 10, len(who)) * MINUTE
        obj = cat.quiz_object + quiz
        self.events.add("attempted", started, who, obj, course, enrollment, attempt=attempt)
        clock, correct, size = started.copy(), np.zeros(len(who)), cat.quiz_size[quiz]
        answers: list[tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray, np.ndarray]] = []
        for position in range(cat.quiz_questions.shape[1]):
            on = np.flatnonzero(position < size)
            learner, question = who[on], cat.quiz_questions[quiz[on], position]
            skill = cat.question_skill[question]
            theta = learners.initial_theta[learner, skill] + learners.learning_rate[
                learner, skill
            ] * np.log1p(self.practice[learner, skill])
            right = rng.random(len(on)) < sigmoid(
                cat.discrimination[question] * (theta - cat.difficulty[question])
            )
            seconds = np.clip(rng.lognormal(np.log(40.0), 0.5, len(on)), 5.0, 180.0)
            served = clock[on]
            clock[on] += (seconds * 1_000_000).astype(np.int64)
            answers.append((on, question, position + 1, served, clock[on], right))
            self.events.add(
                "answered",
                clock[on],
                learner,
                cat.question_object + question,
                course[on],
                enrollment[on],
                attempt=attempt[on],
                score=right.astype(float),
                success=right,
                duration=np.round(seconds, 1),
            )
            self.practice[learner, skill] += 1.0
            correct[on] += right
        score = correct / size
        passed = score >= model.pass_mark
        submitted = clock + 5_000_000
        duration = (submitted - started) / 1_000_000
        for verb, mask in (("passed", passed), ("failed", ~passed)):
            self.events.add(
                verb,
                submitted[mask],
                who[mask],
                obj[mask],
                course[mask],
                enrollment[mask],
                attempt=attempt[mask],
                score=score[mask],
                success=passed[mask],
                duration=duration[mask],
            )
        rows = self.records.attempt(rng, quiz, who, enrollment, attempt, started, submitted, score)
        for on, question, number, served, answered, right in answers:
            self.records.answer(rows[on], question, number, served, answered, right)
        self.failures[who] = np.where(passed, self.failures[who] * 0.5, self.failures[who] + 1.0)
        self.momentum[who[~passed]] -= model.failure_discouragement
        self.session_steps[who[~passed]] = 0
        moves_on = passed | (attempt >= model.max_quiz_attempts)
        self.step[who] += moves_on
        self.attempt[who] = np.where(moves_on, 1, attempt + 1)
        self.clock[who] = submitted

    def _after_step(self, who: np.ndarray, day: int) -> None:
        finished = self.step[who] >= self.cat.step_count[self.course[who]]
        done = who[finished]
        completed = self.clock[done] + 1_000_000
        course, enrollment = self.course[done], self.enrollment[done]
        self.events.add("completed", completed, done, course, course, enrollment, completion=1)
        self.records.complete(enrollment, completed)
        self.completed_at[done, course] = completed
        self.clock[done] = completed
        self._leave(done, day)

        rest = who[~finished]
        hazard = sigmoid(
            self.learners.dropout_propensity[rest]
            + self.model.dropout_failure_weight * self.failures[rest]
            - self.model.dropout_interest_weight * self.interest[rest, self.course[rest]]
        )
        quits = self.rng.random(len(rest)) < hazard
        leaving = rest[quits]
        at = self.clock[leaving] + self.rng.integers(1, 60, len(leaving)) * MINUTE
        reason = np.where(self.failures[leaving] >= 1.0, "repeated_failure", "lost_interest")
        self._drop(leaving, at, reason, hazard[quits], day)

    def _inactivity(self, day: int, day_us: int) -> None:
        who = np.flatnonzero(self.active & (day - self.last_session > self.model.inactivity_days))
        at = np.minimum(self._session_start(who, day_us, gap_minutes=1), self.end_us - MINUTE)
        self._drop(who, at, np.full(len(who), "inactivity"), np.ones(len(who)), day)

    def _drop(
        self, who: np.ndarray, at: np.ndarray, reason: np.ndarray, hazard: np.ndarray, day: int
    ) -> None:
        at = np.minimum(at, self.end_us - 1_000_000)
        course, enrollment = self.course[who], self.enrollment[who]
        self.events.add("unregistered", at, who, course, course, enrollment)
        self.records.drop(enrollment, at, reason, self.failures[who], hazard)
        self.clock[who] = at
        self._leave(who, day)

    def _leave(self, who: np.ndarray, day: int) -> None:
        self.active[who] = False
        self.session_steps[who] = 0
        gap = self.rng.geometric(1.0 / self.config.mean_days_between_enrollments, len(who))
        self.next_enroll[who] = day + gap
