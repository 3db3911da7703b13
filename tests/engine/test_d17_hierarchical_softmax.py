import math

import numpy as np
import pytest
import torch

from engine.demos import d17_hierarchical_softmax as demo
from engine.runtime import execute
from tests.engine.results import metric

SMALL = {"max_classes": "1024", "batch": 64, "hidden": "32"}


def depths(tree: tuple[np.ndarray, np.ndarray], classes: int) -> np.ndarray:
    return demo.leaf_paths(*tree, classes)[2].sum(dim=1).numpy()


@pytest.mark.parametrize("classes", [2, 5, 16, 100, 1024])
def test_it_builds_a_balanced_tree_of_logarithmic_depth(classes):
    leaf_depths = depths(demo.balanced_tree(classes), classes)
    assert leaf_depths.max() == math.ceil(math.log2(classes))
    assert leaf_depths.min() >= math.floor(math.log2(classes))


def test_it_gives_frequent_classes_short_huffman_paths_within_the_entropy_bound():
    frequencies = demo.zipf_frequencies(classes=1000, exponent=1.0)
    huffman = depths(demo.huffman_tree(frequencies), 1000)
    expected = (frequencies * huffman).sum()
    entropy = -(frequencies * np.log2(frequencies)).sum()
    assert entropy <= expected < entropy + 1  # Shannon's bound for an optimal prefix code
    assert expected < (frequencies * depths(demo.balanced_tree(1000), 1000)).sum()
    assert huffman[0] < huffman[-1]


@pytest.mark.parametrize("tree", ["balanced", "huffman"])
@pytest.mark.parametrize("classes", [3, 64, 777])
def test_it_gives_probabilities_summing_to_one_that_match_the_training_loss(tree, classes):
    frequencies = demo.zipf_frequencies(classes=classes, exponent=1.2)
    structure = demo.huffman_tree(frequencies) if tree == "huffman" else demo.balanced_tree(classes)
    paths = demo.leaf_paths(*structure, classes)
    generator = torch.Generator().manual_seed(classes)
    hidden = torch.randn(5, 16, generator=generator, dtype=torch.float64)
    nodes = torch.randn(classes - 1, 16, generator=generator, dtype=torch.float64)
    probabilities = demo.all_class_probabilities(hidden=hidden, node_vectors=nodes, paths=paths)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(5, dtype=torch.float64))
    targets = torch.tensor([0, classes - 1, classes // 2, 1 % classes, 0])
    log_prob = demo.hierarchical_log_prob(hidden=hidden, node_vectors=nodes, path_nodes=paths[0][targets],
                                          path_signs=paths[1][targets].double(), path_mask=paths[2][targets].double())
    torch.testing.assert_close(log_prob.exp(), probabilities[torch.arange(5), targets])


def test_it_counts_k_dot_products_for_the_full_softmax_and_log_k_for_the_tree():
    result = execute("D17", {**SMALL, "tree": "balanced"})
    assert metric(result, "full_dots_at_max") == 1024
    assert metric(result, "hs_dots_at_max") == 10 == metric(result, "log2_classes_at_max")
    assert metric(result, "prob_sum_max_error") < 1e-5
    assert result["verdict"]["probabilities_sum_to_one"]
    assert "balanced tree 10.0 on average" in result["conclusion"]["en"]
    huffman = execute("D17", SMALL)
    assert metric(huffman, "hs_expected_path_at_max") < 10


def test_it_is_faster_per_batch_with_thousands_of_classes():
    result = execute("D17", {"max_classes": "4096"})
    assert metric(result, "speedup_at_max") > 1
    assert result["verdict"]["hierarchical"] in ("faster_at_every_k", "faster_at_large_k")
