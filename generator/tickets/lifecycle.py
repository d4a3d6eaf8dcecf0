"""The ticket lifecycle (forms/_lifecycle.yaml): states, who acts in each, allowed moves, and the
promised times (deadlines) the procedure measures."""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.errors import ConfigError
from generator.workspace import Workspace, load_yaml

LIFECYCLE_FILE = "_lifecycle.yaml"


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


@dataclass
class Lifecycle:
    initial: str
    main_path: list[str]
    states: dict[str, State]


def load_lifecycle(workspace: Workspace) -> Lifecycle:
    path = workspace.find("forms", LIFECYCLE_FILE)
    if path is None:
        raise ConfigError(f"forms/{LIFECYCLE_FILE} not found")
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
        lifecycle = Lifecycle(raw["initial"], list(raw["main_path"]), states)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: malformed lifecycle ({exc!r} missing or wrong)") from exc
    named = [lifecycle.initial, *lifecycle.main_path,
             *(t.to for s in states.values() for t in s.next)]
    unknown = sorted({n for n in named if n not in states})
    if unknown:
        raise ConfigError(f"{path}: unknown states {unknown}")
    return lifecycle
