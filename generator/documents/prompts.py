"""Asking for missing fields on a terminal, one at a time, re-asking until an answer is valid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from generator.documents.forms import Field, Form
from generator.documents.validate import check_value, normalise_value

# ask(prompt_text, default) -> the typed answer ("" when the user just presses Enter)
Ask = Callable[[str, str], str]
Say = Callable[[str], None]


def _prompt_text(fld: Field, language: str) -> str:
    text = f"{fld.label(language)} ({fld.key})"
    if fld.choices:
        options = ", ".join(f"{code}={fld.choice_label(code, language)}" for code in fld.choices)
        text += f" [{options}]"
    elif fld.meta.get("hint"):
        text += f" [{fld.meta['hint']}]"
    if not fld.required:
        text += " (optional)"
    return text


def ask_field(fld: Field, ask: Ask, say: Say, language: str, default: str = "") -> Any:
    """One field's value, parsed and checked against its own rules; None if skipped."""
    while True:
        answer = ask(_prompt_text(fld, language), default).strip()
        if not answer:
            if fld.required:
                say("  this field is required")
                continue
            return None
        try:
            value = normalise_value(fld, answer)
        except ValueError as exc:
            say(f"  {exc}")
            continue
        problems = check_value(fld, value)
        if not problems:
            return value
        for problem in problems:
            say(f"  {problem}")


def ask_missing(form: Form, data: dict[str, Any], ask: Ask, say: Say,
                language: str = "zh") -> dict[str, Any]:
    """Prompt for every field `data` lacks: required ones until answered, optional ones may be
    skipped with Enter; row tables row by row."""
    filled = dict(data)
    for key, fld in form.fields.items():
        if key in filled or fld.rules.get("readonly"):
            continue  # readonly: computed whole (the warranty card's periods), never typed
        if fld.columns:
            rows = []
            while True:
                more = ask(f"Add a row to {fld.label(language)} ({key})? [y/n]",
                           "y" if fld.required and not rows else "n").strip().lower()
                if more not in ("y", "yes", "是"):
                    break
                say(f"{fld.label(language)} — row {len(rows) + 1}")
                row = {}
                for col_key, col in fld.columns.items():
                    if "computed" in col.meta:
                        continue  # worked out from the row (an amount from quantity × price)
                    value = ask_field(col, ask, say, language)
                    if value is not None:
                        row[col_key] = value
                rows.append(row)
            if rows:
                filled[key] = rows
            continue
        value = ask_field(fld, ask, say, language)
        if value is not None:
            filled[key] = value
    return filled
