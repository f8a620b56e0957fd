"""A form generated from a pydantic model (e.g. `appliance.config.TrainSection`).

Literal fields become selects, list-of-Literal fields selection lists, booleans switches, numbers and text
inputs; nested models become titled groups. Optional sections (e.g. `hpo`), mappings and lists of records are
left out: the screen offers its own editor for those. New values added to the core's Literals appear by themselves.
`values()` returns a dict for `Model.model_validate`, which does the checking (errors go to the operator).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, SelectionList, Switch


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _literal_values(tp: Any) -> list[Any] | None:
    return list(get_args(tp)) if get_origin(tp) is Literal else None


def _list_of_models(tp: Any) -> bool:
    if get_origin(tp) is not list:
        return False
    (arg,) = get_args(tp) or (None,)
    return isinstance(arg, type) and issubclass(arg, BaseModel)


class ModelForm(Vertical):
    """Fields of `model` (a pydantic class); `skip` names fields left out (dotted for nested ones)."""

    DEFAULT_CLASSES = "model-form"

    def __init__(
        self, model: type[BaseModel], *, skip: tuple[str, ...] = (), prefix: str = "", id: str | None = None
    ):
        super().__init__(id=id)
        self.model, self.skip, self.prefix = model, skip, prefix
        self.kinds: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield from self._fields(self.model, "")

    def _wid(self, dotted: str) -> str:
        return f"{self.prefix}f-{dotted.replace('.', '--')}"

    def _fields(self, model: type[BaseModel], base: str) -> ComposeResult:
        hints = typing.get_type_hints(model)
        for name, info in model.model_fields.items():
            dotted = f"{base}{name}"
            if dotted in self.skip:
                continue
            tp, optional = _unwrap_optional(hints[name])
            nested = isinstance(tp, type) and issubclass(tp, BaseModel)
            if (nested and optional) or get_origin(tp) is dict or _list_of_models(tp):
                continue  # optional sections, mappings and lists of records need their own editor
            if nested:
                yield Label(name, classes="form-group")
                yield from self._fields(tp, dotted + ".")
                continue
            default = info.get_default(call_default_factory=True)
            if default is PydanticUndefined:
                default = None
            wid = self._wid(dotted)
            help_text = info.description or ""
            lits = _literal_values(tp)
            if lits is not None:
                self.kinds[dotted] = "literal"
                widget: Any = Select(
                    [(str(v), v) for v in lits], value=default, allow_blank=optional, compact=True, id=wid
                )
            elif get_origin(tp) is list and _literal_values(get_args(tp)[0]) is not None:
                self.kinds[dotted] = "multi"
                opts = _literal_values(get_args(tp)[0]) or []
                widget = SelectionList(
                    *[(str(v), v, v in (default or [])) for v in opts], compact=True, id=wid
                )
            elif tp is bool:
                self.kinds[dotted] = "bool"
                widget = Switch(value=bool(default), id=wid)
            elif tp in (int, float):
                self.kinds[dotted] = "int" if tp is int else "float"
                widget = Input(
                    "" if default is None else str(default),
                    type="integer" if tp is int else "number",
                    placeholder="(none)" if optional else "",
                    compact=True,
                    id=wid,
                )
            else:  # str, or unions of str/list[str]: text ("a,b" for a list)
                self.kinds[dotted] = "text" if tp is str else "textlist"
                shown = (
                    ",".join(default)
                    if isinstance(default, list)
                    else ("" if default is None else str(default))
                )
                widget = Input(shown, placeholder="(none)" if optional else "", compact=True, id=wid)
            widget.tooltip = help_text or None
            with Horizontal(classes="form-row"):
                yield Label(name, classes="form-label")
                yield widget

    def set_value(self, dotted: str, value: Any) -> None:
        w = self.query_one(f"#{self._wid(dotted)}")
        kind = self.kinds[dotted]
        if kind == "multi":
            w.deselect_all()
            for v in value:
                w.select(v)
        elif kind in ("literal", "bool"):
            w.value = value
        else:
            w.value = "" if value is None else str(value)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for dotted, kind in self.kinds.items():
            w = self.query_one(f"#{self._wid(dotted)}")
            if kind == "multi":
                v: Any = list(w.selected)
            elif kind == "literal":
                v = None if w.value is Select.NULL else w.value
            elif kind == "bool":
                v = w.value
            else:
                raw = w.value.strip()
                if raw == "":
                    continue  # the model's default (or None where that is the default)
                v = raw
                if kind == "textlist" and "," in raw:
                    v = [s.strip() for s in raw.split(",") if s.strip()]
            node = out
            parts = dotted.split(".")
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = v
        return out
