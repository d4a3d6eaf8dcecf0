"""The ticket lifecycle (forms/_lifecycle.yaml): states, who acts in each, allowed moves, and the
promised times (deadlines) the procedure measures.

The file is the one source of truth: the rulebook draws its procedure chart and state table
from it, and every move — by a person (`aftersales ticket move`) or by a filed form — is checked
against it here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from generator.errors import ConfigError
from generator.workspace import Workspace, load_yaml, localised

LIFECYCLE_FILE = "_lifecycle.yaml"
TERMINAL_MEETS = ("closed", "rejected")  # a ticket that ended has no promise left open


@dataclass
class Transition:
    to: str
    when: dict[str, str] = field(default_factory=dict)  # why this move, by language


@dataclass
class State:
    key: str
    label: dict[str, str]
    role: dict[str, str]
    meaning: dict[str, str]
    next: list[Transition]


@dataclass(frozen=True)
class Deadline:
    """A promised time: it starts when a ticket first reaches `start` and is met when it
    reaches `met` (or a later state of the main path, or ends); `promise` names the setting
    that says how long it may take."""

    key: str
    label: dict[str, str]
    start: str
    met: str
    promise: str

    @property
    def unit(self) -> str:
        return "hours" if self.promise.endswith("_hours") else "days"


@dataclass
class Lifecycle:
    initial: str
    main_path: list[str]
    states: dict[str, State]
    deadlines: dict[str, Deadline] = field(default_factory=dict)

    def label(self, state: str, language: str = "zh") -> str:
        found = self.states.get(state)
        return localised(found.label, language, state) if found else state

    def allowed(self, state: str) -> list[str]:
        """The states a ticket in `state` may move to directly."""
        return [t.to for t in self.states[state].next]

    def path(self, current: str, target: str) -> list[str] | None:
        """The moves that take a ticket from `current` to `target`: one allowed move, or the
        next step of the main path and then one allowed move (a form filed a step ahead records
        the step it implies: an acceptance slip filed while the work is under way also reports
        it done; an unsatisfied follow-up on an accepted ticket follows it up, then reopens
        it). [] when it is there already; None when it cannot go."""
        if target == current:
            return []
        if target in self.allowed(current):
            return [target]
        # one implied step at most: a record may report the step just before its own, never
        # stand in for another record (a follow-up cannot accept the work it follows up)
        if current in self.main_path and current != self.main_path[-1]:
            ahead = self.main_path[self.main_path.index(current) + 1]
            if ahead in self.allowed(current) and target in self.allowed(ahead):
                return [ahead, target]
        return None

    def reached(self, state: str, goal: str) -> bool:
        """Whether a ticket in `state` has got as far as `goal` (for a deadline's `met`)."""
        if state == goal or state in TERMINAL_MEETS:
            return True
        if state in self.main_path and goal in self.main_path:
            return self.main_path.index(state) >= self.main_path.index(goal)
        return False


def load_lifecycle(workspace: Workspace) -> Lifecycle:
    path = workspace.find("forms", LIFECYCLE_FILE)
    if path is None:
        raise ConfigError(f"forms/{LIFECYCLE_FILE} not found")
    return _parse(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _parse(path, _stamp: int) -> Lifecycle:
    raw = load_yaml(path)
    try:
        states = {
            key: State(
                key=key, label=spec["label"], role=spec.get("role", {}),
                meaning=spec.get("meaning", {}),
                next=[Transition(n) if isinstance(n, str)
                      else Transition(n["to"], n.get("when", {}))
                      for n in spec.get("next", [])],
            )
            for key, spec in raw["states"].items()
        }
        deadlines = {
            key: Deadline(key, spec.get("label", {}), spec["from"], spec["met"], spec["promise"])
            for key, spec in (raw.get("deadlines") or {}).items()
        }
        lifecycle = Lifecycle(raw["initial"], list(raw["main_path"]), states, deadlines)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: malformed lifecycle ({exc!r} missing or wrong)") from exc
    named = [lifecycle.initial, *lifecycle.main_path,
             *(t.to for s in states.values() for t in s.next),
             *(d.start for d in deadlines.values()), *(d.met for d in deadlines.values())]
    unknown = sorted({n for n in named if n not in states})
    if unknown:
        raise ConfigError(f"{path}: unknown states {unknown}")
    return lifecycle
