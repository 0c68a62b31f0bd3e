"""``harness emulator serve`` in a real subprocess: URL on stdout, serves, exits 0 on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import harness
from harness.emulator import EmulatorServer

from .support import call

REPO = Path(harness.__file__).resolve().parent.parent
HEADERS = {"Authorization": "Bearer t", "x-gradient-workspace-id": "w"}


def serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "emulator", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def first_line(proc: subprocess.Popen[str]) -> str:
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        return proc.stdout.readline().strip()
    finally:
        watchdog.cancel()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_prints_url_serves_and_exits_0(tmp_path: Path, sig: signal.Signals) -> None:
    config = tmp_path / "emu.yaml"
    config.write_text(
        "models:\n  - name: B\n    slug: b\n    default: 'hello {{ prompt }}'\n", encoding="utf-8"
    )
    proc = serve(str(config))
    try:
        url = first_line(proc)
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api"), url
        models = call("GET", f"{url}/models?onlyBase=true", None, HEADERS).json["models"]
        assert [m["slug"] for m in models] == ["b"]
        reply = call("POST", f"{url}/models/{models[0]['id']}/complete", {"query": "x"}, HEADERS)
        assert reply.json["generatedOutput"] == "hello x"
        v1 = url.removesuffix("/api") + "/v1"
        reply = call("POST", f"{v1}/completions", {"model": "b", "prompt": "y"})
        assert reply.json["choices"][0]["text"] == "hello y"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert models[0]["id"] in err
    assert f"OpenAI-compatible API: {v1}\n" in err
    assert "stopping" in err


def test_serve_without_config_uses_the_built_in_models() -> None:
    proc = serve("--port", "0", "--host", "127.0.0.1")
    try:
        url = first_line(proc)
        slugs = [
            m["slug"]
            for m in call("GET", f"{url}/models?onlyBase=true&capability=any", None, HEADERS).json[
                "models"
            ]
        ]
        assert "llama2-7b-chat" in slugs
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0


def test_bad_config_exits_4_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "emu.yaml"
    config.write_text("models:\n  - name: a\n    base_model: nope\n", encoding="utf-8")
    proc = serve(str(config))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 4
    assert out == ""
    assert f"{config}:3:17: models[0].base_model: 'nope'" in err
    assert "Traceback" not in err


def test_busy_port_exits_4(server: EmulatorServer) -> None:
    proc = serve("--port", str(server.port))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4
    assert f"cannot listen on 127.0.0.1:{server.port}" in err
