"""The law's minimum periods (templates/warranty/law.yaml) and the company's promises
([warranty] in aftersales.toml), checked against each other, and the card's period table.

Each card item has the 1998 rules' minimum toward the owner (from delivery) and the 条例
minimum of the builder's item it falls under (from completion acceptance). The owner is covered
for the longest of the promise and the 1998 minimum from delivery and the builder's period from
completion (《商品房销售管理办法》 art. 33), so where the two sets of rules differ the owner gets
the longer. A promise counts from delivery, so it must be at least the minimum that counts from
delivery: the 1998 rules' (the builder's, for an item they do not have).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from generator.errors import ConfigError
from generator.warranty.periods import (
    AGREED,
    DESIGN_LIFE,
    SEASON,
    YEAR,
    Period,
    Season,
    parse_period,
    parse_season,
    period_end,
)
from generator.workspace import Workspace, load_yaml

LAW_FILE = "warranty/law.yaml"  # under templates/, so a workspace can override it


@dataclass(frozen=True)
class Rule:
    """One minimum period of the law, with the law and article that set it."""

    name: str
    minimum: Period
    source: str


@dataclass(frozen=True)
class Item:
    """A row of the card: the 1998 rules' minimum (None where they have no item of their own)
    and the builder's (条例) rule it falls under."""

    key: str
    name: str
    owner: Rule | None
    builder: Rule


@dataclass(frozen=True)
class Terms:
    """The law and the company's promises, checked against each other."""

    items: dict[str, Item]
    promises: dict[str, Period]
    seasons: dict[str, Season]  # "heating", "cooling": those the homes have
    design_life: Period | None  # the design service life in years, when configured

    def minimum(self, item: Item) -> Period:
        """The least the company may promise for the item, from delivery: the 1998 rules'
        minimum, or the builder's where they have none."""
        return (item.owner or item.builder).minimum

    def end(self, start: dt.date, period: Period) -> dt.date | None:
        """The last day of `period` from `start`; None for an unconfigured design life (no
        date) or an agreed period (no period)."""
        if period.unit == DESIGN_LIFE and self.design_life:
            period = self.design_life
        return period_end(start, period, tuple(self.seasons.values()))


def _rank(period: Period) -> tuple[str, int] | None:
    """What a period compares by: months with months, seasons with seasons; None for a period
    without a length."""
    if period.months is not None:
        return ("months", period.months)
    if period.unit == SEASON:
        return ("seasons", period.count)
    return None


def at_least(period: Period, minimum: Period) -> bool | None:
    """Whether `period` is at least `minimum`; None when they cannot be compared (years with
    seasons). Nothing is shorter than a design life except a design life, and any period
    satisfies an agreed one."""
    if minimum.unit == AGREED or period.unit == DESIGN_LIFE:
        return True
    if minimum.unit == DESIGN_LIFE or period.unit == AGREED:
        return False
    mine, theirs = _rank(period), _rank(minimum)
    return mine[1] >= theirs[1] if mine[0] == theirs[0] else None


def load_terms(workspace: Workspace) -> Terms:
    """The law file and the [warranty] configuration; ConfigError (exit 2) for a malformed
    law file, or a promise missing, malformed or shorter than the law's minimum for its item."""
    path = workspace.find("templates", LAW_FILE)
    if path is None:
        raise ConfigError(f"templates/{LAW_FILE} is missing; copy it from the package")
    law = load_yaml(path) or {}
    items = _items(law, f"templates/{LAW_FILE}")
    config = workspace.config["warranty"]
    seasons = {}
    for kind in ("heating", "cooling"):
        text = config[f"{kind}_season"]
        if text.strip():
            seasons[kind] = _parsed(parse_season, text, f"warranty.{kind}_season")
    design_life = None
    if config["design_life"].strip():
        design_life = _parsed(parse_period, config["design_life"], "warranty.design_life")
        if design_life.unit != YEAR:
            raise ConfigError(f"aftersales.toml: 'warranty.design_life' is the design service "
                              f"life in years, like 50y, not {config['design_life']!r}")
    terms = Terms(items, {}, seasons, design_life)  # the law, to check the promises against
    promises = {}
    for key, item in items.items():
        where = f"warranty.promises.{key}"
        if key not in config["promises"]:
            raise ConfigError(f"aftersales.toml: '{where}' is missing: promise a period for "
                              f"{item.name} (the law's minimum is {terms.minimum(item)})")
        promise = _parsed(parse_period, config["promises"][key], where)
        _check_promise(terms, item, promise, where)
        promises[key] = promise
    return replace(terms, promises=promises)


def _parsed(parse, text: str, where: str):
    try:
        return parse(text)
    except ValueError as exc:
        raise ConfigError(f"aftersales.toml: '{where}': {exc}") from None


def _check_promise(terms: Terms, item: Item, promise: Period, where: str) -> None:
    minimum = terms.minimum(item)
    if promise.unit == AGREED:
        raise ConfigError(f"aftersales.toml: '{where}': promise a period for {item.name}, "
                          f"like 1y, not 'agreed'")
    if promise.unit == SEASON and not terms.seasons:
        raise ConfigError(f"aftersales.toml: '{where}' = {promise}, but no heating_season or "
                          f"cooling_season is configured")
    if minimum.unit == DESIGN_LIFE and terms.design_life and promise.unit != DESIGN_LIFE:
        minimum = terms.design_life
    verdict = at_least(promise, minimum)
    if verdict is None:
        raise ConfigError(f"aftersales.toml: '{where}' = {promise} for {item.name} cannot be "
                          f"compared with the law's minimum, {minimum}; promise it in the same "
                          f"unit")
    if not verdict:
        raise ConfigError(f"aftersales.toml: '{where}' = {promise} is shorter than the law's "
                          f"minimum for {item.name} ({item.key}), {minimum}; a company may "
                          f"promise more than the law, never less")


def _items(law: dict, where: str) -> dict[str, Item]:
    """The law file's items, each with its rules; ConfigError naming what is malformed."""
    try:
        sources = law["sources"]
        builder = {key: Rule(spec["name"], parse_period(spec["minimum"]),
                             "、".join(sources[s] for s in spec["source"]))
                   for key, spec in law["builder"].items()}
        items = {}
        for key, spec in law["items"].items():
            owner = (Rule(spec["name"], parse_period(spec["minimum"]), sources[spec["source"]])
                     if "minimum" in spec else None)
            items[key] = Item(key, spec["name"], owner, builder[spec["builder"]])
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ConfigError(f"{where}: malformed ({type(exc).__name__}: {exc}); see the "
                          f"comments at its top") from None
    if not items:
        raise ConfigError(f"{where}: no items")
    return items
