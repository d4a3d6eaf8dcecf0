"""The owner warranty card's period table: per item, the legal minimum, the company's promise
and the expiry date, as printed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from generator.warranty.law import Item, Terms
from generator.warranty.periods import AGREED, DESIGN_LIFE, MONTH, SEASON, YEAR, Period

WORDS = {
    "zh": {YEAR: "{} 年", MONTH: "{} 个月", "heating": "采暖期", "cooling": "供冷期",
           SEASON: "{} 个{}", "seasons_joiner": "、", DESIGN_LIFE: "设计合理使用年限",
           "design_law": "设计文件规定的该工程合理使用年限",
           "design_years": "设计使用年限 {} 年", AGREED: "由双方约定", "both": "{}（条例 {}）"},
    "en": {YEAR: "{} years", MONTH: "{} months", "heating": "heating", "cooling": "cooling",
           SEASON: "{} {} seasons", "seasons_joiner": "/", DESIGN_LIFE: "design service life",
           "design_law": "the reasonable service life set in the design documents",
           "design_years": "design life, {} years", AGREED: "as agreed",
           "both": "{} (builder: {})"},
}


def describe(period: Period, terms: Terms, language: str = "zh", law: bool = False) -> str:
    """A period as the card prints it: 5 年, 6 个月, 2 个采暖期、供冷期, …; a design service
    life in the law's own words when `law` (the legal minimum), else in short."""
    words = WORDS[language]
    if period.unit == DESIGN_LIFE and law:
        return words["design_law"]
    if period.unit in (YEAR, MONTH):
        return words[period.unit].format(period.count)
    if period.unit == SEASON:
        kinds = words["seasons_joiner"].join(words[kind] for kind in terms.seasons)
        return words[SEASON].format(period.count, kinds)
    if period.unit == DESIGN_LIFE and terms.design_life:
        return words["design_years"].format(terms.design_life.count)
    return words[period.unit]


def legal_minimum(item: Item, terms: Terms, language: str = "zh") -> str:
    """Both minimums where they differ: the 1998 rules' (from delivery) and, in brackets, the
    条例's toward the builder (from completion acceptance)."""
    builder = describe(item.builder.minimum, terms, language, law=True)
    if item.owner is None or item.owner.minimum == item.builder.minimum:
        return builder
    owner = describe(item.owner.minimum, terms, language, law=True)
    return WORDS[language]["both"].format(owner, builder)


def expiry(item: Item, terms: Terms, delivery: dt.date, completion: dt.date) -> dt.date | None:
    """The last day the owner is covered: the latest of the promise and the 1998 minimum
    counted from delivery and the builder's period counted from completion acceptance. None
    when one of them is a design service life given in no years (it outlasts any date)."""
    candidates = [(delivery, terms.promises[item.key]), (completion, item.builder.minimum)]
    if item.owner is not None:
        candidates.append((delivery, item.owner.minimum))
    ends = []
    for start, period in candidates:
        if period.unit == AGREED:
            continue
        end = terms.end(start, period)
        if end is None:
            return None
        ends.append(end)
    return max(ends)


def _chosen(terms: Terms, omit: Iterable[str]) -> list[Item]:
    unknown = sorted(set(omit) - set(terms.items))
    if unknown:
        raise ValueError(f"unknown item {', '.join(unknown)}; the items are "
                         f"{', '.join(terms.items)}")
    return [item for key, item in terms.items.items() if key not in set(omit)]


def card_rows(terms: Terms, delivery: dt.date, completion: dt.date, omit: Iterable[str] = (),
              language: str = "zh") -> list[dict[str, str]]:
    """The period table of one home's card, leaving out the items in `omit` (a home without
    heating, say)."""
    rows = []
    for item in _chosen(terms, omit):
        end = expiry(item, terms, delivery, completion)
        rows.append({"item": item.name, "legal_minimum": legal_minimum(item, terms, language),
                     "promised": describe(terms.promises[item.key], terms, language),
                     "expires": end.isoformat() if end else WORDS[language][DESIGN_LIFE]})
    return rows


def blank_rows(terms: Terms, language: str = "zh") -> list[dict[str, str]]:
    """The period table of a blank card: the law's minimums and the company's promises; the
    expiry dates are written in by hand."""
    return [{"item": item.name, "legal_minimum": legal_minimum(item, terms, language),
             "promised": describe(terms.promises[item.key], terms, language), "expires": ""}
            for item in terms.items.values()]
