"""Variables in change files and templates, and the ``${ENV_NAME}`` secrets they may carry.

Why the order inventory ``defaults`` -> ``groups`` (in the AP's order) -> the AP -> the change:
the inventory says what is normal for an AP (its district's channel plan, say); a change file is
a reviewed exception, so its ``vars:`` win. The inventory part is resolved once at inventory
load (:attr:`collector.inventory.model.AccessPoint.vars`); :func:`ap_context` adds the change's.

Why Jinja2 with ``StrictUndefined``: a misspelt ``{{ vars.chanel_5g }}`` must stop the plan with
the change file's line, never render an empty channel onto a thousand APs.

Why secrets stay ``${ENV_NAME}`` text until the push: plans, diffs, audit logs and the web UI
all show rendered commands; only :func:`resolve_secrets`, called by the apply engine right
before sending, ever sees a value, and its result is never stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from collector.errors import InputError, Problem
from collector.inventory.model import AccessPoint

VarValue = str | int | bool
SECRET_REF = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # noqa: S701 (CLI lines, not HTML)
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


class VarError(ValueError):
    """A value could not be rendered; the caller knows the file and line to blame."""


def merged_vars(ap: AccessPoint, change_vars: Mapping[str, VarValue]) -> dict[str, VarValue]:
    """The AP's inventory variables with the change's on top (the change wins)."""
    merged: dict[str, VarValue] = dict(ap.vars)
    merged.update(change_vars)
    return merged


def ap_context(ap: AccessPoint, change_vars: Mapping[str, VarValue]) -> dict[str, Any]:
    """What ``{{ ... }}`` in a change value or raw template can read: ``vars`` and ``ap``."""
    return {
        "vars": merged_vars(ap, change_vars),
        "ap": {
            "id": ap.id,
            "site": ap.site.id,
            "district": ap.district.code,
            "platform": ap.platform,
            "model": ap.model,
            "standard": str(ap.standard),
        },
    }


def is_expression(value: object) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def render_value(value: VarValue, context: Mapping[str, Any]) -> str:
    """One change value as text: a literal as is, an expression rendered strictly.

    Raises :class:`VarError` for an undefined name, bad syntax or a control character in the
    result (a newline in a value would add a command).
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str) or not is_expression(value):
        return str(value)
    try:
        text = ENV.from_string(value).render(context)
    except jinja2.UndefinedError as error:
        message = str(error.message).replace("'dict object'", "vars/ap")
        raise VarError(f"undefined variable in {value!r}: {message}") from None
    except jinja2.TemplateError as error:
        raise VarError(f"cannot render {value!r}: {error}") from None
    if _CONTROL.search(text):
        raise VarError(f"{value!r} renders to text with a control character")
    return text.strip()


def secret_names(lines: Sequence[str]) -> list[str]:
    """The ``${ENV_NAME}`` references in ``lines``, in order of first use."""
    names: dict[str, None] = {}
    for line in lines:
        for match in SECRET_REF.finditer(line):
            names.setdefault(match.group(1), None)
    return list(names)


def resolve_secrets(commands: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``commands`` with every ``${ENV_NAME}`` replaced by its value, for sending only.

    Every unset (or empty) variable is named in one :class:`InputError`; the values never
    appear in any message. Never store or log the result.
    """
    missing = [name for name in secret_names(commands) if not environ.get(name)]
    if missing:
        raise InputError(
            [Problem("(environment)", 0, f"${{{name}}} is not set") for name in missing]
        )
    return [SECRET_REF.sub(lambda m: environ[m.group(1)], line) for line in commands]
