"""Safe YAML loading that remembers where every value came from (file, line, column).

Built on PyYAML's SafeLoader: Python object tags are refused, never constructed. The node
tree is walked by hand so that each value's position is kept, duplicate keys are caught,
and alias expansion is bounded (a billion-laughs file fails fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.errors import Location, SuiteError
from harness.yamlio.document import YamlDocument
from harness.yamlio.paths import KeyPath

__all__ = ["MAX_NODES", "load_yaml", "parse_yaml"]

MAX_NODES = 200_000  # values after alias expansion; far above any real suite
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class _Builder:
    def __init__(self, doc: YamlDocument, loader: yaml.SafeLoader) -> None:
        self.doc = doc
        self.loader = loader
        self.count = 0
        self.errors: list[Location] = []

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge
        mark = node.start_mark
        self.doc.value_positions.setdefault(path, (mark.line + 1, mark.column + 1))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            self.errors.append(
                self._at(
                    node, f"tags like {node.tag} are not allowed (no Python objects in a suite)"
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves `<<` merge keys
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    self.errors.append(self._at(key_node, "mapping keys must be plain scalars"))
                    continue
                if key in out:
                    self.errors.append(self._at(key_node, f"duplicate key '{key}'"))
                    continue
                child = (*path, key if isinstance(key, (str, int)) else str(key))
                km = key_node.start_mark
                self.doc.key_positions.setdefault(child, (km.line + 1, km.column + 1))
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag in _NUMBER_TAGS and isinstance(node, yaml.ScalarNode) and node.style is None:
            self.doc.number_texts.setdefault(path, str(node.value))
        return self.loader.construct_object(node, deep=True)

    def _at(self, node: yaml.Node, message: str) -> Location:
        m = node.start_mark
        return Location(self.doc.file, m.line + 1, m.column + 1, message)


class _TooLarge(Exception):
    pass


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SuiteError(
            [Location(file, line, 0, f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})")]
        ) from None


def _yaml_error(exc: yaml.YAMLError, file: str, text: str) -> Location:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = str(getattr(exc, "problem", "") or exc)
    if "\t" in problem or "'\\t'" in problem:
        return Location(file, line, col, "tab character found; YAML is indented with spaces")
    if "could not determine a constructor for the tag" in problem:
        tag = problem.rsplit("tag", 1)[-1].strip().strip("'")
        return Location(
            file, line, col, f"tags like {tag} are not allowed (no Python objects in a suite)"
        )
    return Location(file, line, col, f"invalid YAML: {problem}")


def _reader_error(exc: yaml.reader.ReaderError, file: str, text: str) -> Location:
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return Location(
        file,
        line,
        column,
        f"control character U+{ord(char):04X} is not allowed in YAML (only printable text)",
    )


def parse_yaml(text: str, file: str) -> YamlDocument:
    """Parse one YAML document held in ``text``; ``file`` names it in error messages."""
    doc = YamlDocument(file=file, data=None)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        raise SuiteError([_reader_error(exc, file, text)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise SuiteError([Location(file, 1, 0, "the file is empty; expected a mapping")])
        builder = _Builder(doc, loader)
        doc.data = builder.build(node, ())
    except _TooLarge:
        raise SuiteError(
            [
                Location(
                    file,
                    0,
                    0,
                    f"the document expands to more than {MAX_NODES} values "
                    "(alias bomb?); refusing to load it",
                )
            ]
        ) from None
    except yaml.reader.ReaderError as exc:
        raise SuiteError([_reader_error(exc, file, text)]) from None
    except yaml.YAMLError as exc:
        raise SuiteError([_yaml_error(exc, file, text)]) from None
    finally:
        loader.dispose()
    if builder.errors:
        raise SuiteError(builder.errors)
    return doc


def load_yaml(path: Path, display_name: str | None = None) -> YamlDocument:
    """Read and parse a YAML file, with every problem reported as a SuiteError."""
    file = display_name or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SuiteError([Location(file, 0, 0, "file not found")]) from None
    except OSError as exc:
        raise SuiteError([Location(file, 0, 0, f"cannot read the file: {exc.strerror}")]) from None
    text = _decode(raw, file)
    if not text.strip():
        raise SuiteError([Location(file, 1, 0, "the file is empty; expected a mapping")])
    return parse_yaml(text, file)
