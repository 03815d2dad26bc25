"""The agent workspace and the supervisor board: who may open them, what they render, and the
contact-centre API they added (my callbacks, the board's dealer filter, agents' names)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit import Actor, ActorType
from app.auth.models import User
from app.contact.router import get_now
from app.contact.schemas import CampaignIn
from app.contact.supervisor import update_campaign
from app.enums import InvitationType, Role
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_dealer, create_task
from tests.app.contact.test_claim import claim, outcome

NOW = TUESDAY_10_PRAGUE


def _client(session: Session, user: User) -> TestClient:
    application = app_on(session)
    application.dependency_overrides[get_now] = lambda: NOW
    return use_session(TestClient(application, follow_redirects=False), sign_in(session, user))


class TestWorkspacePage:
    def test_an_agent_opens_the_workspace_with_the_next_call_button_and_shortcut(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        page = _client(session, create_user(session, role=Role.AGENT, dealers=[dealer])).get(
            "/agent"
        )
        assert page.status_code == 200
        assert 'id="next-call"' in page.text
        assert 'aria-keyshortcuts="n"' in page.text
        assert '<script type="module" src="/static/js/workspace.js"></script>' in page.text
        assert dealer.code in page.text  # the dealers' zones and currencies, by id and code
        assert 'href="/agent" aria-current="page"' in page.text

    def test_a_manager_takes_no_calls_so_gets_a_403_page(self, session: Session) -> None:
        dealer = create_dealer(session)
        client = _client(session, create_user(session, role=Role.MANAGER, dealers=[dealer]))
        page = client.get("/agent")
        assert page.status_code == 403
        assert "Your role does not allow this page." in page.text
        assert 'href="/agent"' not in client.get("/customers").text

    def test_the_workspace_speaks_czech(self, session: Session) -> None:
        dealer = create_dealer(session)
        user = create_user(session, role=Role.AGENT, dealers=[dealer])
        user.language = "cs"
        session.flush()
        page = _client(session, user).get("/agent")
        assert "Pracoviště operátora" in page.text
        assert "Další hovor" in page.text
        assert "Moje zpětná volání" in page.text


class TestSupervisorBoard:
    def test_a_manager_opens_the_board_of_their_dealer_and_gets_403_for_another(
        self, session: Session
    ) -> None:
        dealer_a, dealer_b = create_dealer(session), create_dealer(session)
        client = _client(session, create_user(session, role=Role.MANAGER, dealers=[dealer_a]))

        own = client.get(f"/supervisor/{dealer_a.id}")
        assert own.status_code == 200
        assert f"({dealer_a.code})" in own.text
        assert 'src="/static/js/supervisor.js"' in own.text
        other = client.get(f"/supervisor/{dealer_b.id}")
        assert other.status_code == 403
        assert other.headers["content-type"].startswith("text/html")
        assert dealer_b.code not in other.text
        assert client.get("/supervisor").headers["location"] == f"/supervisor/{dealer_a.id}"

    def test_a_supervisor_of_several_dealers_chooses_one_seeing_their_queues(
        self, session: Session
    ) -> None:
        dealer_a, dealer_b, other = (create_dealer(session) for _ in range(3))
        create_task(session, dealer=dealer_a)
        create_task(session, dealer=dealer_a, kind="recall")
        create_task(session, dealer=other)
        user = create_user(session, role=Role.SUPERVISOR, dealers=[dealer_a, dealer_b])
        page = _client(session, user).get("/supervisor")
        assert page.status_code == 200
        rows = re.findall(r'<tr><td><a href="/supervisor/(\d+)">.*?</td>(.*?)</tr>', page.text)
        assert sorted(rows) == sorted(
            [
                (str(dealer_a.id), '<td class="num">2</td><td class="num">2</td>'),
                (str(dealer_b.id), '<td class="num">0</td><td class="num">0</td>'),
            ]
        )
        assert other.code not in page.text

    def test_an_agent_may_not_open_the_board(self, session: Session) -> None:
        dealer = create_dealer(session)
        client = _client(session, create_user(session, role=Role.AGENT, dealers=[dealer]))
        assert client.get(f"/supervisor/{dealer.id}").status_code == 403

    def test_a_dealer_id_past_the_database_integer_is_a_400_page(self, session: Session) -> None:
        dealer = create_dealer(session)
        client = _client(session, create_user(session, role=Role.SUPERVISOR, dealers=[dealer]))
        assert client.get(f"/supervisor/{2**31}").status_code == 400

    def test_the_board_shows_each_campaigns_switches(self, session: Session) -> None:
        dealer = create_dealer(session)
        supervisor = create_user(session, role=Role.SUPERVISOR, dealers=[dealer])
        update_campaign(
            session,
            dealer_code=dealer.code,
            kind=InvitationType.RECALL,
            body=CampaignIn(paused=True, priority_boost=15),
            dealer_ids=frozenset({int(dealer.id or 0)}),
            now=NOW,
            actor=supervisor_actor(supervisor),
        )
        page = _client(session, supervisor).get(f"/supervisor/{dealer.id}").text
        assert 'id="paused-recall" name="paused" type="checkbox" checked' in page
        assert 'id="boost-recall" name="priority_boost" type="number"' in page
        assert 'value="15"' in page
        assert 'id="paused-lapsed" name="paused" type="checkbox">' in page


def supervisor_actor(user: User) -> Actor:
    return Actor(type=ActorType.USER, id=user.id)


def test_the_call_card_names_its_dealer_for_the_slot_picker(session: Session) -> None:
    dealer = create_dealer(session)
    create_task(session, dealer=dealer)
    client = _client(session, create_user(session, role=Role.AGENT, dealers=[dealer]))
    card = client.post("/api/v1/agent/next-call").json()
    assert (card["dealer_id"], card["dealer"]) == (dealer.id, dealer.code)
    assert client.get(f"/api/v1/dealers/{card['dealer']}/slots").status_code == 200


class TestMyCallbacksApi:
    def test_an_agent_lists_only_their_own_callbacks_earliest_first(self, session: Session) -> None:
        dealer = create_dealer(session)
        me = create_user(session, role=Role.AGENT, dealers=[dealer])
        someone = create_user(session, role=Role.AGENT, dealers=[dealer])
        mine = [create_task(session, dealer=dealer, priority=p) for p in (90, 80)]
        theirs = create_task(session, dealer=dealer, priority=70)
        for task, agent, minutes in (
            (mine[0], me, 120),
            (mine[1], me, -30),
            (theirs, someone, 10),
        ):
            card = claim(session, int(agent.id or 0), int(dealer.id or 0))
            assert card is not None
            assert card.task_id == task.id
            outcome(
                session,
                task.id,
                int(agent.id or 0),
                int(dealer.id or 0),
                claim_token=card.claim_token,
                disposition="call_back",
                callback_at=NOW + timedelta(minutes=max(minutes, 5)),
            )
        # one of mine is overdue by now + 1 hour
        client = _client(session, me)
        client.app.dependency_overrides[get_now] = lambda: NOW + timedelta(hours=1)  # type: ignore[attr-defined]

        answer = client.get("/api/v1/agent/callbacks")

        assert answer.status_code == 200, answer.text
        rows = answer.json()["data"]
        assert [r["task_id"] for r in rows] == [mine[1].id, mine[0].id]
        assert [r["overdue"] for r in rows] == [True, False]
        assert rows[0]["customer_name"] == "Jana Nováková"
        assert rows[0]["dealer"] == dealer.code
        assert rows[0]["primary_type"] == "next_service"

    def test_the_limit_is_bounded(self, session: Session) -> None:
        dealer = create_dealer(session)
        client = _client(session, create_user(session, role=Role.AGENT, dealers=[dealer]))
        assert client.get("/api/v1/agent/callbacks?limit=201").status_code == 422
        assert client.get("/api/v1/agent/callbacks?limit=200").json()["data"] == []


class TestSupervisorDealerFilter:
    def test_the_figures_narrow_to_one_dealer_and_name_the_agents(self, session: Session) -> None:
        dealer_a, dealer_b = create_dealer(session), create_dealer(session)
        agent = create_user(session, role=Role.AGENT, dealers=[dealer_a, dealer_b])
        task = create_task(session, dealer=dealer_a, kind="recall")
        create_task(session, dealer=dealer_b, kind="lapsed")
        card = claim(session, int(agent.id or 0), int(dealer_a.id or 0))
        assert card is not None
        outcome(
            session,
            task.id,
            int(agent.id or 0),
            int(dealer_a.id or 0),
            claim_token=card.claim_token,
            disposition="call_back",
            callback_at=NOW + timedelta(minutes=20),
        )
        manager = create_user(session, role=Role.MANAGER, dealers=[dealer_a, dealer_b])
        client = _client(session, manager)

        queue = client.get(f"/api/v1/supervisor/queue?dealer={dealer_b.code}").json()["data"]
        assert {(r["dealer"], r["reason"]) for r in queue} == {(dealer_b.code, "lapsed")}
        both = client.get("/api/v1/supervisor/queue").json()["data"]
        assert {r["dealer"] for r in both} == {dealer_a.code, dealer_b.code}

        due = client.get(f"/api/v1/supervisor/callbacks?dealer={dealer_a.code}").json()["data"]
        assert [(c["task_id"], c["agent_name"]) for c in due] == [(task.id, agent.display_name)]
        assert client.get(f"/api/v1/supervisor/callbacks?dealer={dealer_b.code}").json() == {
            "as_of": client.get("/api/v1/supervisor/callbacks").json()["as_of"],
            "data": [],
        }

        day = client.get(
            f"/api/v1/supervisor/agents?dealer={dealer_a.code}&time_zone=Europe/Prague"
        ).json()["data"]
        assert [(a["agent_id"], a["name"], a["attempts"]) for a in day] == [
            (agent.id, agent.display_name, 1)
        ]
        assert client.get(f"/api/v1/supervisor/agents?dealer={dealer_b.code}").json()["data"] == []

    def test_another_groups_dealer_is_not_found(self, session: Session) -> None:
        dealer_a, dealer_b = create_dealer(session), create_dealer(session)
        client = _client(session, create_user(session, role=Role.MANAGER, dealers=[dealer_a]))
        for path in ("queue", "callbacks", "agents"):
            answer = client.get(f"/api/v1/supervisor/{path}?dealer={dealer_b.code}")
            assert answer.status_code == 404, path
            assert dealer_b.code in answer.json()["detail"]  # the code the caller gave, no more
