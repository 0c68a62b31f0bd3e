"""Prompt templating: a sandboxed Jinja2 environment where an undefined variable is an error."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["TemplateProblem", "is_template", "render", "render_value"]


class TemplateProblem(ValueError):
    """A template that does not parse, or uses a variable the case does not define."""

    def __init__(self, message: str, *, undefined: bool = False) -> None:
        super().__init__(message)
        self.undefined = undefined  # a variable the case does not define (not a syntax error)


@lru_cache(maxsize=1)
def _env() -> Any:
    # Jinja2 loads on first template, not on `import harness`.
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def is_template(text: str) -> bool:
    """Only strings with Jinja2 markers are rendered; plain text is used as it is (fast path)."""
    return "{{" in text or "{%" in text or "{#" in text


@lru_cache(maxsize=4096)
def _compile(text: str) -> Any:
    return _env().from_string(text)


def render(text: str, variables: dict[str, Any]) -> str:
    """Render ``text`` with ``variables``; raises TemplateProblem naming what went wrong."""
    if not is_template(text):
        return text
    from jinja2 import TemplateError, UndefinedError

    try:
        return str(_compile(text).render(variables))
    except UndefinedError as exc:
        defined = ", ".join(sorted(variables)) or "none"
        raise TemplateProblem(
            f"undefined template variable: {exc.message}; defined: {defined}", undefined=True
        ) from None
    except TemplateError as exc:
        raise TemplateProblem(f"invalid template: {exc}") from None


def render_value(value: Any, variables: dict[str, Any]) -> Any:
    """Render every string inside ``value`` (mappings and lists are walked)."""
    if isinstance(value, str):
        return render(value, variables)
    if isinstance(value, dict):
        return {k: render_value(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, variables) for v in value]
    return value
