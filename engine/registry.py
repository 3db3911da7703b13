"""All demos, by ID. A demo module registers itself by defining SPEC; this file lists the modules."""

from __future__ import annotations

import importlib
from functools import cache

from engine.spec import DemoSpec

DEMO_MODULES = (
    "d01_vanishing_gradients",
    "d02_activations",
    "d03_zero_init",
    "d04_init_schemes",
    "d05_mse_vs_ce",
    "d06_softmax_sigmoid",
    "d07_dropout",
    "d08_batchnorm",
    "d09_batch_size",
    "d10_rnn_lstm_gru",
    "d11_exploding_gradients",
    "d12_cnn_shift",
    "d13_conv_arithmetic",
    "d14_attention",
    "d15_cpu_vs_gpu",
    "d16_depth_vs_width",
    "d17_hierarchical_softmax",
    "d18_fine_tuning",
    "d19_attention_scaling",
    "d20_optimizers",
    "d21_lora",
    "d22_kv_cache",
    "d23_diffusion",
    "d24_double_descent",
    "d25_gan_mode_collapse",
    "d26_quantization",
)


@cache
def _registry() -> dict[str, DemoSpec]:
    specs = {}
    for module_name in DEMO_MODULES:
        try:
            module = importlib.import_module(f"engine.demos.{module_name}")
        except ModuleNotFoundError as error:
            if error.name == f"engine.demos.{module_name}":
                continue  # not written yet
            raise
        specs[module.SPEC.id] = module.SPEC
    return specs


def all_demos() -> list[DemoSpec]:
    return sorted(_registry().values(), key=lambda spec: int(spec.id[1:]))


def get_demo(demo_id: str) -> DemoSpec:
    try:
        return _registry()[demo_id]
    except KeyError:
        raise KeyError(f"unknown demo {demo_id!r}") from None
