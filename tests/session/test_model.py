"""The manager against a plain model: any interleaving stops exactly what the model says."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tests.session.doubles import Recorder
from tether.errors import SessionExpired
from tether.fakes import FakeClock
from tether.session import SessionManager

NAMES = ("base", "left", "right")
OWNERS = ("alice", "bob")


@dataclass
class ModelSession:
    id: str
    owner: str
    window: float
    deadline: float
    gone: bool = False
    owned: set[str] = field(default_factory=set)


class SessionModel(RuleBasedStateMachine):
    """Random starts, heartbeats, monitors, releases, ends and clock steps."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(start=0.0)
        self.manager = SessionManager(clock=self.clock, watchdog=False, stop_timeout=1.0)
        self.resources = {name: Recorder(name) for name in NAMES}
        self.sessions: list[ModelSession] = []
        self.owner_of: dict[str, ModelSession] = {}
        self.expected_stops = dict.fromkeys(NAMES, 0)

    def teardown(self) -> None:
        self.manager.close()

    def _live(self, session: ModelSession, owner: str) -> bool:
        return not session.gone and self.clock() < session.deadline and owner == session.owner

    def _stop_owned(self, session: ModelSession) -> None:
        session.gone = True
        for name in session.owned:
            if self.owner_of.get(name) is session:
                del self.owner_of[name]
                self.expected_stops[name] += 1
        session.owned.clear()

    @rule(owner=st.sampled_from(OWNERS), window=st.sampled_from([0.05, 0.5, 1.0]))
    def start(self, owner: str, window: float) -> None:
        real = self.manager.start(owner=owner, heartbeat_window=window)
        self.sessions.append(ModelSession(real.id, owner, window, self.clock() + window))

    @rule(index=st.integers(0, 20), owner=st.sampled_from(OWNERS))
    def heartbeat(self, index: int, owner: str) -> None:
        if index >= len(self.sessions):
            return
        session = self.sessions[index]
        if self._live(session, owner):
            self.manager.heartbeat(session.id, owner=owner)
            session.deadline = self.clock() + session.window
        else:
            try:
                self.manager.heartbeat(session.id, owner=owner)
            except SessionExpired:
                return
            raise AssertionError("heartbeat accepted for a dead or foreign session")

    @rule(index=st.integers(0, 20), name=st.sampled_from(NAMES))
    def monitor(self, index: int, name: str) -> None:
        if index >= len(self.sessions):
            return
        session = self.sessions[index]
        live = self._live(session, session.owner)
        try:
            self.manager.associate(session.id, name, self.resources[name], owner=session.owner)
        except SessionExpired:
            assert not live
            return
        assert live
        session.deadline = self.clock() + session.window
        previous = self.owner_of.get(name)
        if previous is not None:
            previous.owned.discard(name)
        self.owner_of[name] = session
        session.owned.add(name)

    @rule(name=st.sampled_from(NAMES))
    def release(self, name: str) -> None:
        self.manager.associate(None, name)
        previous = self.owner_of.pop(name, None)
        if previous is not None:
            previous.owned.discard(name)

    @rule(index=st.integers(0, 20))
    def end(self, index: int) -> None:
        if index >= len(self.sessions):
            return
        session = self.sessions[index]
        assert self.manager.end(session.id) is (not session.gone)
        if not session.gone:
            self._stop_owned(session)

    @rule(seconds=st.sampled_from([0.01, 0.04, 0.3, 0.6]))
    def advance_and_expire(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.manager.expire_due()
        for session in self.sessions:
            if not session.gone and session.deadline <= self.clock():
                self._stop_owned(session)

    @invariant()
    def stops_match_model(self) -> None:
        actual = {name: len(r.stops) for name, r in self.resources.items()}
        assert actual == self.expected_stops

    @invariant()
    def owners_match_model(self) -> None:
        for name in NAMES:
            real = self.manager.owner_of(name)
            expected = self.owner_of.get(name)
            assert (real.id if real else None) == (expected.id if expected else None)


TestSessionModel = SessionModel.TestCase
TestSessionModel.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
