"""Chapter parameters: read from a notebook's ``parameters`` cell, validated by rules.

The notebook's parameters cell is the single source of names, types, defaults and
help texts (``name: type = literal  # unit, meaning``); :mod:`qbkit.book.registry` adds
the rules (ranges, choices). The same validation runs in ``qbkit run`` before
anything executes and in the notebook's validation cell.
"""

from __future__ import annotations

import ast
import io
import json
import math
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import nbformat

__all__ = [
    "ParameterError",
    "Param",
    "read_parameters",
    "parameters_cell",
    "coerce",
    "parse_cli_value",
    "check_override",
    "positive",
    "in_range",
    "one_of",
    "at_most",
    "paper_value",
]

TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list}
ARTICLE = {int: "an int", float: "a float", str: "a str", bool: "a bool", list: "a JSON list"}


class ParameterError(ValueError):
    """A parameter value is unknown, of the wrong type or out of range.

    Attributes
    ----------
    name : str
        The offending parameter.
    """

    def __init__(self, name, message, kind=ValueError):
        super().__init__(f"parameter '{name}': {message}")
        self.name = name
        self.kind = kind


@dataclass(frozen=True)
class Param:
    """One notebook parameter: name, type, default, help text and an optional rule."""

    name: str
    type: type
    default: Any
    help: str = ""
    rule: Callable[[Any], str | None] | None = field(default=None, compare=False)

    @property
    def paper(self):
        """The paper's value from a ``(paper: X)`` note in the help text (:func:`paper_value`)."""
        return paper_value(self.help)


_PAPER = re.compile(r"\(paper: ([^)]*)\)")


def paper_value(help_text):
    """The value X of a ``(paper: X)`` note in a parameter's help text, or None.

    X is read as a Python literal (``140``, ``0.0187``, ``"thermal"``); a note that is not
    a literal (``(paper: not stated)``) gives None.
    """
    found = _PAPER.search(help_text)
    if not found:
        return None
    text = found.group(1).strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    try:  # a plain fraction such as 1/2
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Div)
        and all(
            isinstance(v, ast.Constant) and _is_number(v.value) for v in (node.left, node.right)
        )
    ):
        return node.left.value / node.right.value
    return None


def parameters_cell(nb):
    """The code cell tagged ``parameters`` of a notebook node; raise ValueError if absent."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return cell
    raise ValueError("notebook has no cell tagged 'parameters'")


def read_parameters(notebook):
    """Parse the ``parameters`` cell of a notebook.

    Parameters
    ----------
    notebook : str or Path
        Path of the ``.ipynb`` file.

    Returns
    -------
    dict of str to Param
        In the order of the cell.

    Raises
    ------
    ValueError
        If a line is not ``name: type = literal  # help`` with a known type.
    """
    nb = nbformat.read(str(notebook), as_version=4)
    source = parameters_cell(nb).source
    comments = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    params = {}
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            raise ValueError(f"parameters cell line {node.lineno}: expected 'name: type = value'")
        type_name = ast.unparse(node.annotation)
        if type_name not in TYPES or node.value is None:
            raise ValueError(f"parameter '{node.target.id}': unsupported annotation {type_name!r}")
        default = ast.literal_eval(node.value)
        params[node.target.id] = Param(
            node.target.id, TYPES[type_name], default, comments.get(node.lineno, "")
        )
    return params


def _is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def coerce(param, value):
    """Check ``value`` against the parameter's type and rule; return it normalized.

    ``int`` accepts integers only, ``float`` accepts integers and floats (finite),
    ``list`` accepts a list of numbers or strings.

    Raises
    ------
    ParameterError
        With ``kind`` TypeError (wrong type) or ValueError (rule violated).
    """
    t = param.type
    if t is float and _is_number(value):
        value = float(value)
        if not math.isfinite(value):
            raise ParameterError(param.name, f"must be finite, got {value}")
    elif t is int and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ParameterError(param.name, f"expects {ARTICLE[int]}, got {value!r}", TypeError)
    elif t is list:
        if not isinstance(value, list) or not all(
            _is_number(v) or isinstance(v, str) for v in value
        ):
            raise ParameterError(param.name, f"expects a list of numbers, got {value!r}", TypeError)
    elif not isinstance(value, t) or (t is not bool and isinstance(value, bool)):
        raise ParameterError(param.name, f"expects {ARTICLE[t]}, got {value!r}", TypeError)
    if param.rule is not None:
        problem = param.rule(value)
        if problem:
            raise ParameterError(param.name, f"{problem}, got {value!r}")
    return value


def check_override(chapter, params, name, given):
    """Refuse an override of ``chapter`` that names no parameter or one already given.

    Parameters
    ----------
    chapter : str
    params : dict of str to Param
        The chapter's parameters.
    name : str
        The parameter named on the command line.
    given : container of str
        The names given before it.

    Raises
    ------
    ParameterError
        Naming ``name``.
    """
    if name not in params:
        raise ParameterError(name, f"unknown parameter of {chapter} (known: {', '.join(params)})")
    if name in given:
        raise ParameterError(name, "given more than once")


def parse_cli_value(param, text):
    """Turn the command-line text of a value into a Python value of the parameter's type.

    Raises
    ------
    ParameterError
        If the text cannot be read as the parameter's type (``kind`` TypeError).
    """
    t = param.type
    try:
        if t is str:
            return text
        if t is bool:
            low = text.strip().lower()
            if low in ("true", "1", "yes"):
                return True
            if low in ("false", "0", "no"):
                return False
            raise ValueError
        if t is int:
            return int(text.strip())
        if t is float:
            return float(text.strip())
        value = json.loads(text)
        if not isinstance(value, list):
            raise ValueError
        return value
    except ValueError:
        raise ParameterError(param.name, f"expects {ARTICLE[t]}, got {text!r}", TypeError) from None


# -- rules: each returns None when fine, else what is wrong --------------------------
def positive(x):
    return None if x > 0 else "must be > 0"


def in_range(lo, hi):
    """Rule: ``lo <= x <= hi`` (for ints and floats alike)."""

    def rule(x):
        return None if lo <= x <= hi else f"must be between {lo} and {hi}"

    return rule


def one_of(*choices):
    def rule(x):
        return None if x in choices else f"must be one of {', '.join(map(repr, choices))}"

    return rule


def at_most(name, other):
    """Relation between two parameters: ``name <= other`` (checked after each value's own rule)."""

    def relation(values):
        if values[name] > values[other]:
            return name, f"must not exceed {other} = {values[other]:g}, got {values[name]:g}"
        return None

    return relation


def frozen(values):
    """A read-only mapping of validated values (lists become tuples)."""
    return MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def validate(params, values, relations=()):
    """Validate a complete set of values against ``params``; return them normalized.

    ``relations`` are rules that involve several parameters (e.g. :func:`at_most`); each
    takes the full dict of values and returns ``(name, message)`` or None.

    Raises
    ------
    ParameterError
        For an unknown or missing name, a wrong type or a rule violated.
    """
    unknown = set(values) - set(params)
    if unknown:
        name = sorted(unknown)[0]
        raise ParameterError(name, f"unknown parameter (known: {', '.join(params)})")
    out = {}
    for name, p in params.items():
        out[name] = coerce(p, values[name] if name in values else p.default)
    for relation in relations:
        problem = relation(out)
        if problem:
            raise ParameterError(*problem)
    return out
