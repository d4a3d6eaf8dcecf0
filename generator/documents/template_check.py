"""Check a form's DOCX template against what its form gives it, before a fill fails on it.

A customised template is Word XML with Jinja tags in it; a misspelt field, a broken tag or a tag
Word split apart shows up today only when a fill fails or, worse, prints a mangled document. The
check reads the template as docxtpl compiles it (render.docx_tags) and holds every tag against
the context the fill builds (documents.context.build_context, for the blank form): the names and
attributes it may use are those of that context — `f.KEY` field values, `L.KEY` labels, `rows.KEY`
table rows with their columns, `sections[N]`, `signatures[N][I]`, `clauses[N]`, `charts[N]`,
`qr_codes[N]`, `company`, `centre`, `promises`, `record_no`, `ticket`, `form`, `M`, `blank`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError, meta, nodes
from jinja2.runtime import Undefined

from generator.documents.context import build_context
from generator.documents.forms import Form, list_forms, load_form
from generator.errors import ConfigError, quote
from generator.workspace import Workspace


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template: the file, the part of it (body, header1…), the tag or
    field concerned, and the text of the paragraph it is in (when it is in one)."""

    form: str
    file: str
    part: str
    tag: str
    message: str
    paragraph: str = ""

    def __str__(self) -> str:
        where = f"{self.file} [{self.part}]" if self.part else self.file
        tag = f" {self.tag}:" if self.tag else ""
        found_in = f" (in paragraph {quote(self.paragraph, 80)})" if self.paragraph else ""
        return f"{where}:{tag} {self.message}{found_in}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def check_templates(workspace: Workspace, form_names: list[str] | None = None
                    ) -> tuple[list[str], list[Problem]]:
    """The templates checked (as named for people) and every problem found in them, for the
    forms named (all forms when None)."""
    checked, problems = [], []
    for name in form_names or list_forms(workspace):
        form = load_form(workspace, name)
        checked.append(_shown_path(workspace, form))
        problems += check_template(workspace, form)
    return checked, problems


def check_template(workspace: Workspace, form: Form) -> list[Problem]:
    """Every problem of `form`'s DOCX template (the workspace's own, else the bundled one)."""
    from generator.render.docx import jinja_environment
    from generator.render.docx_tags import open_template, split_tags, template_parts

    file = _shown_path(workspace, form)
    template = workspace.find("templates", form.template_name)
    if template is None:
        return [Problem(form.name, file, "", "", f"no such template; make one with "
                                                 f"`aftersales forms template {form.name}`")]
    try:
        document = open_template(template)
    except ConfigError as exc:
        return [Problem(form.name, file, "", "", exc.message)]
    environment = jinja_environment()
    ctx = build_context(form, {}, config=workspace.config, language=workspace.language,
                        blank=True)
    problems = [Problem(form.name, file, split.part, split.tag, split.reason, split.paragraph)
                for split in split_tags(document, environment)]
    tag_problems, shown = _read_tags(form, file, template_parts(document), ctx, environment)
    problems += tag_problems
    if shown is not None:
        problems += [Problem(form.name, file, "", tag,
                             "a required field the template never shows")
                     for tag in _required_not_shown(form, shown, ctx, environment)]
    if not problems:
        problems += _trial_render(form.name, file, document, ctx, environment)
    return list(dict.fromkeys(problems))  # a text box's tags appear twice in Word's XML


def _read_tags(form: Form, file: str, parts, ctx: dict[str, Any], environment
               ) -> tuple[list[Problem], set[str] | None]:
    """Syntax errors and unknown variables of each part, and the context paths the template
    shows (None when a part cannot be parsed: what it shows is unknown)."""
    problems: list[Problem] = []
    shown: set[str] | None = set()
    for part in parts:
        try:
            tree = environment.parse(part.source)
        except TemplateSyntaxError as exc:
            problems.append(Problem(form.name, file, part.name, "",
                                    f"Jinja syntax error: {exc.message}",
                                    part.text_of_line(exc.lineno)))
            shown = None
            continue
        walker = _Walker(environment, ctx, meta.find_undeclared_variables(tree))
        walker.visit(tree, {})
        problems += [Problem(form.name, file, part.name, written, message,
                             part.text_of_line(line))
                     for line, written, message in walker.unknown]
        if shown is not None:
            shown |= walker.shown
    return problems, shown


def _shown_path(workspace: Workspace, form: Form) -> str:
    """The template as a person names it: relative to the workspace, or the bundled file."""
    template = workspace.find("templates", form.template_name)
    if template is None:
        return f"templates/{form.template_name}"
    if template.resolve().is_relative_to(workspace.root):
        return workspace.relative(template)
    return str(template)


def _trial_render(form: str, file: str, document, ctx: dict[str, Any],
                  environment) -> list[Problem]:
    """Render the blank form as a fill would: what the reading could not foresee (a filter
    given the wrong value, a header whose XML docxtpl cannot load) fails here."""
    from lxml.etree import XMLSyntaxError

    try:
        document.render(ctx, jinja_env=environment, autoescape=True)
    except (TemplateError, XMLSyntaxError, TypeError, ValueError) as exc:
        return [Problem(form, file, "", "", f"a blank fill fails: {exc}")]
    return []


@dataclass(frozen=True)
class _Found:
    """What an expression reaches in the context: its path there ("rows.items[].cost"), and
    the expression as the template writes it ("r.cost")."""

    value: Any
    path: str
    written: str


class _Walker:
    """Follows each name, attribute and constant index of a template through the context.

    Jinja's `find_undeclared_variables` knows the template's scoping and finds unknown names;
    attributes (`f.owner_nmae`) it cannot see, so they are looked up here on the context's
    values, with the environment's own getattr/getitem: exactly what rendering would find. A
    loop variable stands for the first item of what it loops over (a blank form's table has
    rows); what a filter, call or `set` makes is not followed.
    """

    def __init__(self, environment, ctx: dict[str, Any], undeclared: set[str]) -> None:
        self.environment, self.ctx = environment, ctx
        self.undeclared = undeclared - set(ctx) - set(environment.globals)
        self.unknown: list[tuple[int, str, str]] = []  # (line, expression, message)
        self.shown: set[str] = set()

    def visit(self, node: nodes.Node, scope: dict[str, _Found | None]) -> _Found | None:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is not None:
            return method(node, scope)
        for child in node.iter_child_nodes():
            self.visit(child, scope)
        return None

    def _found(self, value: Any, path: str, written: str) -> _Found:
        self.shown.add(path)
        return _Found(value, path, written)

    def _missing(self, node: nodes.Node, written: str, key: Any, base: _Found | None) -> None:
        """An unknown name (no `base`) or attribute or item of `base`, with the nearest known
        one as a hint."""
        message = "unknown variable"
        if base and base.path != base.written:  # reached through a loop variable
            message += f" (in {base.written}: an item of {base.path.removesuffix('[]')})"
        known = _keys(base.value) if base else list(self.ctx)
        close = difflib.get_close_matches(str(key), known, n=1)
        if close:
            message += f"; did you mean {base.written + '.' if base else ''}{close[0]}?"
        self.unknown.append((node.lineno, written, message))

    def _Name(self, node: nodes.Name, scope):
        if node.ctx != "load":
            return None
        if node.name in scope:
            return scope[node.name]
        if node.name in self.ctx:
            return self._found(self.ctx[node.name], node.name, node.name)
        if node.name in self.undeclared:
            self._missing(node, node.name, node.name, None)
        return None

    def _Getattr(self, node: nodes.Getattr, scope):
        return self._step(node, self.visit(node.node, scope), node.attr)

    def _Getitem(self, node: nodes.Getitem, scope):
        base = self.visit(node.node, scope)
        if isinstance(node.arg, nodes.Const):
            return self._step(node, base, node.arg.value)
        self.visit(node.arg, scope)
        return None

    def _step(self, node: nodes.Node, base: _Found | None, key: Any) -> _Found | None:
        if base is None:
            return None
        if isinstance(key, str):
            value, step = self.environment.getattr(base.value, key), f".{key}"
        else:
            value, step = self.environment.getitem(base.value, key), f"[{key!r}]"
        if isinstance(value, Undefined):
            self._missing(node, base.written + step, key, base)
            return None
        return self._found(value, base.path + step, base.written + step)

    def _For(self, node: nodes.For, scope):
        items = self.visit(node.iter, scope)
        item = None
        if (items is not None and isinstance(items.value, list) and items.value
                and isinstance(node.target, nodes.Name)):
            item = self._found(items.value[0], f"{items.path}[]", node.target.name)
        inner = {**scope, "loop": None}
        _bind(node.target, item, inner)
        for child in ([node.test] if node.test else []) + node.body:
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)
        return None

    def _Assign(self, node: nodes.Assign, scope):
        self.visit(node.node, scope)
        _bind(node.target, None, scope)

    def _AssignBlock(self, node: nodes.AssignBlock, scope):
        for child in node.body:
            self.visit(child, scope)
        _bind(node.target, None, scope)

    def _With(self, node: nodes.With, scope):
        inner = dict(scope)
        for target, value in zip(node.targets, node.values, strict=True):
            self.visit(value, scope)
            _bind(target, None, inner)
        for child in node.body:
            self.visit(child, inner)

    def _Macro(self, node: nodes.Macro, scope):
        inner = {**scope, "caller": None, "varargs": None, "kwargs": None}
        for arg in node.args:
            _bind(arg, None, inner)
        for default in node.defaults:
            self.visit(default, scope)
        _bind(nodes.Name(node.name, "store"), None, scope)
        for child in node.body:
            self.visit(child, inner)

    _CallBlock = _Macro


def _bind(target: nodes.Node, value: _Found | None, scope: dict) -> None:
    if isinstance(target, nodes.Name):
        scope[target.name] = value
    for child in target.iter_child_nodes():
        _bind(child, None, scope)


def _keys(value: Any) -> list[str]:
    """The names a value offers a template (for a "did you mean")."""
    inner = getattr(value, "_values", value)  # context.Fields
    return [str(key) for key in inner] if isinstance(inner, dict) else []


def _required_not_shown(form: Form, shown: set[str], ctx: dict[str, Any],
                        environment) -> list[str]:
    """The required fields (and required columns of a shown table) whose values the template
    shows nowhere: not as `f.KEY` or `rows.KEY`, nor through a clause, signature, QR code or
    chart of the layout that shows them."""
    values = _fields_shown(form, shown, ctx, environment)
    row_paths = {re.sub(r"\[\d*\]", "[]", path) for path in shown}  # rows.t[0].c → rows.t[].c
    missing = []
    for key, fld in form.fields.items():
        looped = any(path.startswith(f"rows.{key}[]") for path in row_paths)
        if fld.required and key not in values and not looped:
            missing.append(f"rows.{key}" if fld.columns else f"f.{key}")
        if looped:  # the table's rows are printed: each with its required columns
            missing += [f"rows.{key}[].{column}" for column, cfld in fld.columns.items()
                        if cfld.required and f"rows.{key}[].{column}" not in row_paths]
    return missing


def _fields_shown(form: Form, shown: set[str], ctx: dict[str, Any], environment) -> set[str]:
    """Field keys whose values reach the document: directly, or through a layout item the
    template shows (clause texts name fields; signatures, QR codes and charts take them)."""
    keys = {path.split(".")[1] for path in shown if path.startswith("f.")}
    for number, item in enumerate(form.layout):
        if "clauses" in item and f"clauses[{number}]" in shown:
            try:
                clause = environment.parse(form.clauses[item["clauses"]])
            except TemplateSyntaxError:
                continue  # the clause file's own error, which a fill names
            walker = _Walker(environment, {**ctx, "f": ctx["f"]}, set())
            walker.visit(clause, {})
            keys |= {path.split(".")[1] for path in walker.shown if path.startswith("f.")}
        if "qr" in item and f"qr_codes[{number}]" in shown:
            keys |= set(item["qr"])
        if "chart" in item and f"charts[{number}]" in shown:
            keys.add(item["chart"])
        for index, signature in enumerate(item.get("signatures", [])):
            for attribute, field in (("name", "field"), ("party", "party")):
                used = {f"signatures[{number}][{index}].{attribute}",
                        f"signatures[{number}][].{attribute}"}
                if used & shown and signature.get(field):
                    keys.add(signature[field])
    return keys
