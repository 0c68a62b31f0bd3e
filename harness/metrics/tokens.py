"""Counting tokens of model output offline: cl100k_base from a local file, else a regex estimate.

tiktoken downloads its encodings on first use unless they are cached. llama-index-core ships
cl100k_base in ``llama_index/core/_static/tiktoken_cache`` (the file is named by the SHA-1 of its
download URL, as tiktoken's cache is) and points ``TIKTOKEN_CACHE_DIR`` there around
``tiktoken.get_encoding``. We read that same file ourselves, check its SHA-256, and build the
encoding from it, so no code path can reach the network and no environment variable is touched.
A ``TIKTOKEN_CACHE_DIR`` the user set is looked at first.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

__all__ = ["TokenCounter", "count_tokens", "token_counter"]

_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# cl100k_base's split pattern and special tokens, as tiktoken_ext.openai_public defines them;
# a test checks the result against tiktoken's own encoding built from the same file.
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
# Fallback: each run of word characters and each other non-space character is one token. For
# English prose this is within about 25% of cl100k_base, usually under it.
_FALLBACK = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class TokenCounter:
    """A way of counting tokens; ``name`` goes into failure reasons."""

    name: str
    _encoding: tiktoken.Encoding | None = None

    def count(self, text: str) -> int:
        if self._encoding is None:
            return len(_FALLBACK.findall(text))
        # disallowed_special=(): text that looks like a special token is counted as text
        return len(self._encoding.encode(text, disallowed_special=()))


_lock = threading.Lock()
_counter: TokenCounter | None = None


def _cache_files() -> list[Path]:
    key = hashlib.sha1(_CL100K_URL.encode()).hexdigest()
    dirs: list[Path] = []
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        dirs.append(Path(os.environ["TIKTOKEN_CACHE_DIR"]))
    # find_spec locates llama_index.core without importing it (its import takes about a second)
    spec = importlib.util.find_spec("llama_index.core") if _has("llama_index") else None
    for location in (spec.submodule_search_locations or []) if spec else []:
        dirs.append(Path(location) / "_static" / "tiktoken_cache")
    return [d / key for d in dirs]


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _load_cl100k() -> tiktoken.Encoding | None:
    if not _has("tiktoken"):
        return None
    for path in _cache_files():
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() != _CL100K_SHA256:
            continue
        ranks = {
            base64.b64decode(token): int(rank)
            for token, rank in (line.split() for line in data.splitlines() if line)
        }
        import tiktoken

        return tiktoken.Encoding(
            name="cl100k_base",
            pat_str=_CL100K_PATTERN,
            mergeable_ranks=ranks,
            special_tokens=_CL100K_SPECIAL,
        )
    return None


def token_counter() -> TokenCounter:
    """The process-wide counter: cl100k_base when tiktoken and its file are here, else regex.

    Building cl100k_base takes a few hundred milliseconds, so it happens once, on first use.
    """
    global _counter
    with _lock:
        if _counter is None:
            encoding = _load_cl100k()
            _counter = (
                TokenCounter("cl100k_base", encoding)
                if encoding is not None
                else TokenCounter("regex estimate")
            )
        return _counter


def count_tokens(text: str) -> int:
    """Number of tokens in ``text`` by :func:`token_counter`."""
    return token_counter().count(text)
