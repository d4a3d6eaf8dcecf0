"""Data a user gives, read as text: a YAML or JSON file for `fill`, a JSON Lines row for `batch`.

The reader gives every scalar back as the text written; only the form's schema decides what a
value is (documents.validate). So `room: 0012` stays "0012", `3.10` stays "3.10" and `12:30` stays
"12:30", where YAML 1.1 would read an octal 10, a float 3.1 and a sexagesimal 750. An unquoted
empty value, `~` or `null` means the field is not given (None); quoted, "null" is text.

What YAML and JSON do behind a schema's back is refused before any value is built, naming the
line: anchors and aliases (an alias bomb costs nothing this way), a key given twice, nesting
deeper than MAX_DEPTH, more than MAX_CHARS of text, and JSON's NaN and Infinity.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import yaml
from yaml.nodes import MappingNode, ScalarNode

from generator.errors import UsageError, quote

# One record's data is a few kilobytes; a form's longest text fields add up to well under this.
MAX_CHARS = 4_000_000
# A form's data is a mapping of fields holding lists of rows (three levels); room to spare.
MAX_DEPTH = 32
JSON_SUFFIXES = (".json", ".jsonl")
YAML_SUFFIXES = (".yaml", ".yml")


def load_data(source: str, stdin: TextIO | None = None) -> dict[str, Any]:
    """The field: value mapping in the file `source`, or on `stdin` (the process's standard
    input by default) when `source` is "-". Raises UsageError naming `--data` and the file."""
    where = f"--data: {'standard input' if source == '-' else source}"
    try:
        if source == "-":
            text = (stdin or sys.stdin).read(MAX_CHARS + 1)
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read(MAX_CHARS + 1)
    except OSError as exc:
        raise UsageError(f"{where}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{where} is not UTF-8 text ({exc.reason})") from None
    return read_data(text, where, as_json=_names_json(source, text))


def _names_json(source: str, text: str) -> bool:
    """JSON by its name (.json, .jsonl), or by its first character when the name says neither
    (standard input, a file without a YAML suffix)."""
    suffix = Path(source).suffix.lower()
    if suffix in JSON_SUFFIXES or suffix in YAML_SUFFIXES:
        return suffix in JSON_SUFFIXES
    return text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")


def read_data(text: str, source: str, *, as_json: bool = False) -> dict[str, Any]:
    """One record's field: value mapping from YAML (or JSON) text. `source` begins every
    message ("--data: complaint.yaml"). Empty text is an empty mapping."""
    _check_size(text, source)
    data = read_json(text, source) if as_json else _read_yaml(text, source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"{source} must hold a mapping of field: value")
    return data


def read_json(text: str, source: str, first_line: int = 1) -> Any:
    """A JSON value with every number as its text; `first_line` is the line `text` starts on
    (a JSON Lines row's). Raises UsageError naming `source` and the line."""
    _check_size(text, source or f"line {first_line}")
    reader = _JsonReader(source, first_line)
    try:
        value = reader.decode(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as exc:
        raise UsageError(f"{_at(source, first_line + exc.lineno - 1)}: not JSON ({exc.msg}, "
                         f"column {exc.colno})") from None
    if isinstance(value, _Constant):
        raise UsageError(f"{_at(source, first_line)}: {value.name} {NOT_A_NUMBER}")
    return value


def _check_size(text: str, source: str) -> None:
    if len(text) > MAX_CHARS:
        raise UsageError(f"{source} holds more than {MAX_CHARS:,} characters; one record's data "
                         f"is far smaller — is it the right file?")


def _at(source: str, line: int) -> str:
    return f"{source}, line {line}" if source else f"line {line}"


# --- YAML ------------------------------------------------------------------------------------


class _YamlReader(yaml.BaseLoader):
    """PyYAML's BaseLoader (no implicit types: every scalar is text), refusing anchors, aliases,
    duplicate keys, keys that are not text and deep nesting while it composes the document —
    before an alias could be expanded."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise UsageError(f"{_at(self.source, line)}: YAML anchors and aliases (&name, *name) "
                             f"are not read; write each value out in full")
        with _nesting(self.source, lambda: line, self):
            return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep)  # PyYAML's own error
        mapping: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                raise UsageError(f"{_at(self.source, line)}: a key must be a field's name, "
                                 f"not a list or mapping")
            key = key_node.value  # a key is its text as written, even `null` or `012`
            if key in lines:
                raise _given_twice(self.source, line, key, lines[key])
            lines[key] = line
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


# An unquoted empty value, ~ or null: "not given" (YAML's null, which BaseLoader leaves as text).
_YamlReader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"),
    ["~", "n", "N", ""])
_YamlReader.add_constructor("tag:yaml.org,2002:null", lambda _loader, _node: None)


def _read_yaml(text: str, source: str) -> Any:
    reader = _YamlReader(text, source)
    try:
        return reader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark else ""
        reason = "; ".join(part for part in (exc.context, exc.problem) if part)
        raise UsageError(f"{source} is neither YAML nor JSON: {line}{reason}") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{source} is neither YAML nor JSON: {exc}") from None
    finally:
        reader.dispose()


@contextmanager
def _nesting(source: str, line: Callable[[], int], reader: Any) -> Iterator[None]:
    """One level deeper into `reader` (which counts `depth`) for the block's duration; `line`
    tells where the block begins, should it be too deep."""
    reader.depth += 1
    try:
        if reader.depth > MAX_DEPTH:
            raise UsageError(f"{_at(source, line())}: nested more than {MAX_DEPTH} levels deep; a "
                             f"form's data is a mapping of fields, with lists of rows inside")
        yield
    finally:
        reader.depth -= 1


def _given_twice(source: str, line: int, key: str, first: int) -> UsageError:
    return UsageError(f"{_at(source, line)}: key {quote(key)} is given twice (first on line "
                      f"{first}); give each field once")


# --- JSON ------------------------------------------------------------------------------------

NOT_A_NUMBER = "is not a number JSON allows (nor a finite one); give a number, or leave it out"


class _Constant:
    """NaN, Infinity or -Infinity where a value was: refused by the object or array holding
    it, which knows the key and the line."""

    def __init__(self, name: str) -> None:
        self.name = name


class _JsonReader(json.JSONDecoder):
    """The standard library's decoder with numbers kept as text, and its pure-Python scanner
    hooked where an object or array begins, to refuse duplicate keys, NaN and Infinity, and deep
    nesting (the C scanner recurses until a RecursionError) with the line they are on."""

    def __init__(self, source: str, first_line: int) -> None:
        super().__init__(parse_int=str, parse_float=str, parse_constant=_Constant)
        self.source = source
        self.first_line = first_line
        self.depth = 0
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = json.scanner.py_make_scanner(self)

    def _line(self, text: str, position: int) -> int:
        return self.first_line + text.count("\n", 0, position)

    def _object(self, text_and_end, strict, scan_once, _hook, _pairs_hook, memo):
        text, start = text_and_end
        starts: list[int] = []  # where each member's value begins, for its line

        def scan_value(string: str, index: int):
            starts.append(index)
            return scan_once(string, index)

        with _nesting(self.source, lambda: self._line(text, start), self):
            pairs, end = json.decoder.JSONObject(text_and_end, strict, scan_value, None, list,
                                                 memo)
        # Lines are counted only for a message: counting from the start at every key would
        # make reading a large file quadratic.
        mapping: dict[str, Any] = {}
        first: dict[str, int] = {}  # key → where its value began
        for (key, value), at in zip(pairs, starts, strict=True):
            if isinstance(value, _Constant):
                raise UsageError(f"{_at(self.source, self._line(text, at))}: {quote(key)}: "
                                 f"{value.name} {NOT_A_NUMBER}")
            if key in first:
                raise _given_twice(self.source, self._line(text, at), key,
                                   self._line(text, first[key]))
            first[key] = at
            mapping[key] = value
        return mapping, end

    def _array(self, text_and_end, scan_once):
        text, start = text_and_end
        with _nesting(self.source, lambda: self._line(text, start), self):
            values, end = json.decoder.JSONArray(text_and_end, scan_once)
        for value in values:
            if isinstance(value, _Constant):
                raise UsageError(f"{_at(self.source, self._line(text, start))}: {value.name} "
                                 f"{NOT_A_NUMBER}")
        return values, end
