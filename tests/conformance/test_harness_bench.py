"""The pieces of `conformance bench-harness` that decide what it compares (its figures
are measurements, printed by the command, never asserted by a timed test)."""

from types import SimpleNamespace

from conformance.execute.harness_bench import GOALS, Figure, _main_module, backend_modules


def test_the_main_module_of_a_distribution_is_the_one_named_after_it():
    assert _main_module("torch", ["functorch", "torch", "torchgen"]) == "torch"
    assert _main_module("tensorflow_cpu", ["tensorflow", "_pywrap"]) == "tensorflow"
    assert _main_module("scikit_learn", ["sklearn"]) == "sklearn"
    assert _main_module("odd", ["a", "b"]) is None


def test_backend_modules_start_with_numpy_and_name_each_installed_backend_once():
    adapters = [SimpleNamespace(requires=("numpy",), imports=()),
                SimpleNamespace(requires=("scipy",), imports=("scipy.special",)),
                SimpleNamespace(requires=("scipy", "not-installed-anywhere"),
                                imports=("not_installed_anywhere.backend",))]
    assert backend_modules(adapters) == ["numpy", "scipy", "scipy.special"]


def test_keras_backends_chosen_at_import_count_as_backends_imported():
    """`import keras` loads the backend KERAS_BACKEND names (TensorFlow's by default): the
    keras.jax and keras.torch adapters import Keras's JAX and torch backends too."""
    from adapters.keras import ADAPTERS

    assert {m for a in ADAPTERS for m in a.imports} == {
        "keras.src.backend.tensorflow", "keras.src.backend.jax", "keras.src.backend.torch"}


def test_a_figure_meets_its_goal_only_within_it():
    assert Figure("quick", GOALS["quick"], GOALS["quick"], "x", "").met
    assert not Figure("quick", GOALS["quick"] * 1.01, GOALS["quick"], "x", "").met
