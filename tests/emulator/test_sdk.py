"""The emulator through the real ``gradientai`` SDK: what adapters will actually call."""

from __future__ import annotations

from collections.abc import Iterator

import gradientai
import pytest
from gradientai.openapi.client.exceptions import (
    ApiException,
    NotFoundException,
    ServiceException,
    UnauthorizedException,
)

from harness.emulator import EmulatorServer

from .support import TOKEN, WORKSPACE, model_id


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[gradientai.Gradient]:
    with gradientai.Gradient(
        access_token=TOKEN, workspace_id=WORKSPACE, host=server.base_url
    ) as gradient:
        yield gradient


def test_list_base_models(client: gradientai.Gradient) -> None:
    models = client.list_models(only_base=True)
    assert [(m.slug, m.id) for m in models] == [
        ("base-a", model_id("base-a")),
        ("base-c", model_id("base-c")),
    ]
    assert [c for c in models[0].capabilities] == ["complete", "fineTune"]


def test_list_all_models_includes_adapters(client: gradientai.Gradient) -> None:
    models = client.list_models(only_base=False)
    adapters = [m for m in models if isinstance(m, gradientai.ModelAdapter)]
    assert {a.name for a in adapters} == {"adapter", "flaky", "failing", "slow"}
    assert {a.base_model_id for a in adapters} == {model_id("base-a")}


def test_capability_filter(client: gradientai.Gradient) -> None:
    from gradientai._base_model import CapabilityFilterOption

    fine_tunable = client.list_models(only_base=True, capability=CapabilityFilterOption.FINE_TUNE)
    assert [m.slug for m in fine_tunable] == ["base-a"]


def test_get_model_adapter_and_complete(client: gradientai.Gradient) -> None:
    adapter = client.get_model_adapter(model_adapter_id=model_id("adapter"))
    assert adapter.name == "adapter"
    assert adapter.base_model_id == model_id("base-a")
    response = adapter.complete(query="What is 2+2?")
    assert (response.generated_output, response.finish_reason) == ("4", "stop")


def test_get_base_model_and_complete(client: gradientai.Gradient) -> None:
    base = client.get_base_model(base_model_slug="base-c")
    assert base.id == model_id("base-c")
    response = base.complete(query="hello", max_generated_token_count=100, temperature=0.2)
    assert response.generated_output == "Simulated answer from Base C."


def test_truncation_reports_length(client: gradientai.Gradient) -> None:
    adapter = client.get_model_adapter(model_adapter_id=model_id("adapter"))
    full = adapter.complete(query="repeat 5 la")
    assert full.generated_output.split() == ["la"] * 5
    cut = adapter.complete(query="repeat 5 la", max_generated_token_count=2)
    assert (cut.generated_output, cut.finish_reason) == ("la la", "length")


def test_sdk_sees_error_statuses(server: EmulatorServer) -> None:
    with gradientai.Gradient(
        access_token="wrong", workspace_id=WORKSPACE, host=server.base_url
    ) as bad:
        with pytest.raises(UnauthorizedException):
            bad.list_models(only_base=True)
    with gradientai.Gradient(
        access_token=TOKEN, workspace_id=WORKSPACE, host=server.base_url
    ) as gradient:
        with pytest.raises(NotFoundException):
            gradient.get_model_adapter(model_adapter_id="0" * 36 + "_model_adapter")
        flaky = gradient.get_model_adapter(model_adapter_id=model_id("flaky"))
        with pytest.raises(ApiException) as rate_limited:
            flaky.complete(query="hi")
        assert rate_limited.value.status == 429
        assert rate_limited.value.headers["Retry-After"] == "7"
        failing = gradient.get_model_adapter(model_adapter_id=model_id("failing"))
        with pytest.raises(ServiceException):
            failing.complete(query="hi")


def test_root_url_without_api_prefix_works_too(server: EmulatorServer) -> None:
    with gradientai.Gradient(
        access_token=TOKEN, workspace_id=WORKSPACE, host=server.root_url
    ) as gradient:
        adapter = gradient.get_model_adapter(model_adapter_id=model_id("adapter"))
        assert adapter.complete(query="capital of France?").generated_output == "France!"
