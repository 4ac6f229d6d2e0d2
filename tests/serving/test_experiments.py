"""Live experiments (issue 13 point 5): the alias moving under load, the challenger's share by hashed learner
id, and every served list logged as a learner event."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from models.recommender.registry import set_alias
from models.recommender.train import train_course_recommender
from serving.experiments import (
    BUCKETS,
    Experiment,
    ServedList,
    ServedLog,
    bucket_of,
    in_challenger_arm,
)
from serving.model_store import ModelStore
from tests.serving.test_recommendations import (  # noqa: F401 - catalogue is a fixture
    PARAMS,
    WEAK,
    as_user,
    catalogue,
    interactions,
)

# Every test with a client serves from the catalogue of test_recommendations (twelve courses, two tastes).
pytestmark = pytest.mark.usefixtures("catalogue")
LEARNERS = [uuid.uuid5(uuid.NAMESPACE_URL, f"{group}{number}") for group in "ab" for number in range(12)]


def served_events(session: Session) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in session.execute(
            text(
                "select actor_id, object_id, extensions from learner_events "
                "where verb = 'was-served' and object_type = 'recommendation_list' order by occurred_at"
            )
        )
    ]


def two_versions(client: TestClient) -> str:
    """Versions 1 and 2 of the recommender registered; the champion alias on version 1."""
    uri = client.app.state.settings.tracking_uri
    train_course_recommender(interactions(), tracking_uri=uri, params=WEAK, k=3)
    train_course_recommender(interactions(), tracking_uri=uri, params=PARAMS, k=3)
    set_alias(tracking_uri=uri, registry_name="course_recommender", alias="champion", version="1")
    return uri


def with_challenger(client: TestClient, share: float, salt: str = "test-salt") -> Experiment:
    state = client.app.state
    experiment = Experiment(
        champion=state.model_store,
        challenger=ModelStore(
            tracking_uri=state.settings.tracking_uri,
            registry_name=state.settings.recommender_name,
            alias="challenger",
            keep_last=False,
        ),
        share=share,
        salt=salt,
    )
    state.experiment = experiment
    return experiment


def test_arms_are_stable_per_learner_and_hold_the_share() -> None:
    learners = [uuid.UUID(int=number) for number in range(20_000)]
    in_arm = [in_challenger_arm(learner, 0.2, "salt-1") for learner in learners]
    assert 0.19 < sum(in_arm) / len(learners) < 0.21
    # Stable: the same learner gets the same arm every time; a new salt reshuffles.
    assert in_arm == [in_challenger_arm(learner, 0.2, "salt-1") for learner in learners]
    reshuffled = [in_challenger_arm(learner, 0.2, "salt-2") for learner in learners]
    assert reshuffled != in_arm and 0.19 < sum(reshuffled) / len(learners) < 0.21
    assert not any(in_challenger_arm(learner, 0.0, "salt-1") for learner in learners)
    assert all(in_challenger_arm(learner, 1.0, "salt-1") for learner in learners)
    assert all(0 <= bucket_of(learner, "salt-1") < BUCKETS for learner in learners[:100])


def test_off_by_default_every_list_is_the_champions_and_is_logged(
    client: TestClient, session: Session
) -> None:
    assert client.app.state.experiment.challenger is None  # share 0: no challenger store at all
    client.app.state.served_log.flush_seconds = 3600  # written only when asked, below
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    learner = LEARNERS[0]
    body = client.get(
        f"/api/v1/learners/{learner}/recommendations", params={"k": 4}, headers=as_user(client, learner)
    ).json()
    assert body["variant"] == "champion"
    assert served_events(session) == []  # queued, not written by the request
    assert client.app.state.served_log.flush(client.app.state.serving_reads) == 1
    ((actor, list_id, extensions),) = served_events(session)
    assert actor == learner and uuid.UUID(list_id)
    assert extensions == {
        "model_name": "course_recommender",
        "model_version": "1",
        "variant": "champion",
        "k": 4,
        "items": [item["course_id"] for item in body["items"]],
    }


def test_the_challenger_serves_its_share_of_learners_and_each_list_says_which(
    client: TestClient, session: Session
) -> None:
    uri = two_versions(client)
    set_alias(tracking_uri=uri, registry_name="course_recommender", alias="challenger", version="2")
    with_challenger(client, share=0.5)
    client.app.state.served_log.flush_seconds = 3600
    answers = {}
    for learner in LEARNERS:
        response = client.get(f"/api/v1/learners/{learner}/recommendations", headers=as_user(client, learner))
        assert response.status_code == 200
        answers[learner] = response.json()
    challengers = {learner for learner in LEARNERS if in_challenger_arm(learner, 0.5, "test-salt")}
    assert 0 < len(challengers) < len(LEARNERS)
    for learner, body in answers.items():
        expected = ("challenger", "2") if learner in challengers else ("champion", "1")
        assert (body["variant"], body["model_version"]) == expected, learner
    # Asked again, every learner stays in their arm.
    again = client.get(
        f"/api/v1/learners/{LEARNERS[0]}/recommendations", headers=as_user(client, LEARNERS[0])
    )
    assert again.json()["variant"] == answers[LEARNERS[0]]["variant"]

    client.app.state.served_log.flush(client.app.state.serving_reads)
    events = served_events(session)
    assert len(events) == len(LEARNERS) + 1
    assert len({list_id for _, list_id, _ in events}) == len(events)  # one event per served list
    for actor, _, extensions in events[: len(LEARNERS)]:
        body = answers[actor]
        assert extensions["variant"] == body["variant"]
        assert extensions["model_version"] == body["model_version"]
        assert extensions["items"] == [item["course_id"] for item in body["items"]]
        assert extensions["k"] == 10


def test_without_the_challenger_alias_everyone_gets_the_champion(client: TestClient) -> None:
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    experiment = with_challenger(client, share=1.0)
    for learner in LEARNERS[:4]:
        response = client.get(f"/api/v1/learners/{learner}/recommendations", headers=as_user(client, learner))
        assert response.status_code == 200
        assert response.json()["variant"] == "champion"
    # The missing alias was asked once, then known missing for the refresh interval.
    assert experiment.challenger is not None and experiment.challenger.absent()


def test_the_alias_moves_under_load_without_a_failed_request(client: TestClient, session: Session) -> None:
    uri = two_versions(client)
    app = client.app
    app.state.recommendation_cache.ttl_seconds = 3600  # no snapshot re-read racing the test's session
    app.state.served_log.flush_seconds = 3600
    learners = LEARNERS[:8]
    url = "/api/v1/learners/{}/recommendations"
    headers = {learner: as_user(client, learner) for learner in learners}
    for learner in learners:  # warm: the champion and the snapshot are loaded
        assert client.get(url.format(learner), headers=headers[learner]).json()["model_version"] == "1"
    app.state.model_store.refresh_seconds = 0.05

    async def load() -> tuple[list[list[str]], list[int]]:
        transport = httpx.ASGITransport(app=app)
        moved = asyncio.Event()
        statuses: list[int] = []

        async def worker(http: httpx.AsyncClient, learner: uuid.UUID) -> list[str]:
            versions: list[str] = []
            deadline = asyncio.get_running_loop().time() + 60
            # Until a while after this worker first saw version 2.
            while versions[-20:] != ["2"] * 20 and asyncio.get_running_loop().time() < deadline:
                response = await http.get(url.format(learner), headers=headers[learner])
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions.append(response.json()["model_version"])
                if len(statuses) == 200:
                    moved.set()
                await asyncio.sleep(0)
            return versions

        async def move_alias() -> None:
            await moved.wait()
            await asyncio.to_thread(
                set_alias, tracking_uri=uri, registry_name="course_recommender", alias="champion", version="2"
            )

        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            *versions, _ = await asyncio.gather(
                *(worker(http, learner) for learner in learners for _ in range(4)), move_alias()
            )
        return versions, statuses

    per_worker, statuses = asyncio.run(load())
    assert len(statuses) > 400 and set(statuses) == {200}  # many requests, not one failed
    for versions in per_worker:
        assert versions[0] == "1" and versions[-1] == "2"
        assert versions == sorted(versions)  # never back to the old version once the new one is served
    # Every answered request was logged, with the version it served.
    app.state.served_log.flush(app.state.serving_reads)
    logged = [extensions["model_version"] for _, _, extensions in served_events(session)]
    assert len(logged) == len(statuses) + len(learners)
    assert logged.count("2") == sum(versions.count("2") for versions in per_worker)


def served(learner: uuid.UUID) -> ServedList:
    return ServedList(
        datetime.now(UTC), learner, "course_recommender", "3", "challenger", 2, (str(uuid.uuid4()),) * 2
    )


def test_the_log_is_flushed_when_due_and_at_shutdown(client: TestClient, session: Session) -> None:
    log = ServedLog(flush_seconds=3600, flush_rows=3)
    assert log.add(served(LEARNERS[0])) is False and log.add(served(LEARNERS[1])) is False
    assert log.add(served(LEARNERS[2])) is True  # the third list makes it due: the caller flushes
    assert log.add(served(LEARNERS[3])) is False  # a flush is already asked for
    assert log.flush(client.app.state.serving_reads) == 4 and len(log) == 0
    assert len(served_events(session)) == 4

    # Through the app: lists queued by requests are written when the app shuts down.
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    client.app.state.served_log.flush_seconds = 3600
    for learner in LEARNERS[:3]:
        client.get(f"/api/v1/learners/{learner}/recommendations", headers=as_user(client, learner))
    assert len(served_events(session)) == 4 and len(client.app.state.served_log) == 3
    with TestClient(client.app):  # another start and stop of the same app: its shutdown flushes
        pass
    assert len(served_events(session)) == 7 and len(client.app.state.served_log) == 0


def test_a_due_log_is_written_after_the_response(client: TestClient, session: Session) -> None:
    train_course_recommender(
        interactions(), tracking_uri=client.app.state.settings.tracking_uri, params=PARAMS
    )
    client.app.state.served_log.flush_seconds = 0  # every request finds the queue due
    learner = LEARNERS[0]
    response = client.get(f"/api/v1/learners/{learner}/recommendations", headers=as_user(client, learner))
    assert response.status_code == 200
    # The test client returns once the response's background task ran: the list is stored.
    assert [actor for actor, _, _ in served_events(session)] == [learner]


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_the_share_setting_is_a_fraction(share: float) -> None:
    from pydantic import ValidationError

    from skillstudio.settings import Settings

    with pytest.raises(ValidationError):
        Settings(recommender_challenger_share=share)


def test_a_failed_write_keeps_the_lists_for_the_next_flush(client: TestClient, session: Session) -> None:
    from contextlib import contextmanager

    @contextmanager
    def unreachable() -> Any:
        raise ConnectionError("database down")
        yield  # pragma: no cover

    log = ServedLog(flush_seconds=3600)
    log.add(served(LEARNERS[0]))
    log.add(served(LEARNERS[1]))
    with pytest.raises(ConnectionError):
        log.flush(unreachable)
    log.flush_logged(unreachable)  # what the background task calls: logged, not raised
    assert len(log) == 2 and served_events(session) == []
    log.close(client.app.state.serving_reads)
    assert [actor for actor, _, _ in served_events(session)] == LEARNERS[:2]
