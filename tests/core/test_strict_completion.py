"""Strict completion (core/strict_completion.py) in the training logs and in every benchmark with rubrics."""

from __future__ import annotations

import numpy as np
import pytest

from core.rubric import Criterion, Rubric
from core.strict_completion import share, strict_completion
from evals.benchmarks.base import polarization, strict_complete
from evals.judges.base import Judgment
from methods.base import build_batch
from methods.diagnostics import summarize
from methods.static import Static

N = np.nan
HARD = np.array([True, True, False])


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([1, 1, 0.0], 1.0),  # every Hard Rule met; the Principle does not count when Hard Rules exist
        ([1, 0, 1.0], 0.0),  # one Hard Rule failed
        ([1, N, 1.0], N),  # a Hard Rule unscorable, none failed: unknown
        ([0, N, 1.0], 0.0),  # failed already, whatever the unscorable one says
        ([1, 1, N], 1.0),  # an unscorable Principle is not required
    ],
)
def test_hard_rules_are_the_required_criteria(scores, expected):
    got = float(strict_completion(np.array(scores, dtype=float), HARD))
    assert (np.isnan(got) and np.isnan(expected)) or got == expected


def test_without_hard_rules_every_criterion_is_required_at_half_marks():
    none = np.zeros(3, dtype=bool)
    assert strict_completion(np.array([0.5, 0.9, 1.0]), none) == 1.0
    assert strict_completion(np.array([0.5, 0.4, 1.0]), none) == 0.0
    assert np.isnan(strict_completion(np.array([0.5, N, 1.0]), none))
    # probability judges: a Hard Rule counts as met from P(yes) >= 0.5
    assert strict_completion(np.array([0.51, 0.5, 0.0]), HARD) == 1.0
    assert strict_completion(np.array([0.49, 0.9, 1.0]), HARD) == 0.0


def test_padding_is_ignored_and_shapes_broadcast():
    scores = np.array([[[1, 0.2, N], [0, 0.9, N]], [[0.6, 0.7, 0.2], [0.6, 0.7, 0.6]]])  # (B=2, G=2, K=3)
    hard = np.array([[True, False, False], [False, False, False]])[:, None, :]
    valid = np.array([[True, True, False], [True, True, True]])[:, None, :]
    np.testing.assert_array_equal(strict_completion(scores, hard, valid), [[1.0, 0.0], [0.0, 1.0]])
    assert share([1.0, N, 0.0, 1.0]) == pytest.approx(2 / 3) and share([N]) is None


def test_pitfalls_count_when_absent():
    rubric = Rubric(criteria=(
        Criterion(text="states the dose", kind="hard_rule", points=5.0),
        Criterion(text="recommends a dangerous remedy", kind="hard_rule", points=-8.0),
        Criterion(text="is clear", kind="principle"),
    ))

    def judged(*scores):
        return Judgment(scores=list(scores))

    assert strict_complete(judged(True, False, 2), rubric) == 1.0  # pitfall absent, principle ignored
    assert strict_complete(judged(True, True, 10), rubric) == 0.0  # pitfall present
    assert np.isnan(strict_complete(judged(True, None, 10), rubric))


def test_polarization_reports_it_only_when_known():
    assert polarization({"a": 0.5}, [False, True], [1.0, 0.0, N, 1.0])["strict_completion"] == pytest.approx(2 / 3)
    assert "strict_completion" not in polarization({"a": 0.5}, [False], [N])
    assert "strict_completion" not in polarization({"a": 0.5}, [False])


def test_training_logs_strict_completion_per_step():
    # group 0 has Hard Rules (2 of 3 rollouts meet both), group 1 none (1 of 3 meets both Principles >= 5/10),
    # group 1 is narrower (padding), and one rollout of group 0 has an unscorable Hard Rule (left out)
    g0 = np.array([[1, 1, 0.0], [1, 1, 0.3], [0, 1, 1.0], [1, N, 1.0]])
    g1 = np.array([[0.5, 0.5], [0.4, 0.9], [1.0, 0.1], [0.2, 0.2]])
    batch = build_batch([g0, g1], [np.full(3, 1 / 3), np.full(2, 0.5)],
                        [["hard_rule", "hard_rule", "principle"], ["principle", "principle"]], ["a", "b"])
    out = summarize(batch, Static()(batch))
    assert out["satisfaction/strict_completion"] == pytest.approx(3 / 7)


def test_noncontrastive_weight_share():
    g = np.array([[1, 1, 0.2], [0, 1, 0.2], [1, 1, 0.2]])  # only the first criterion separates rollouts
    batch = build_batch([g], [np.array([0.5, 0.3, 0.2])], [["hard_rule", "hard_rule", "principle"]], ["a"])
    assert summarize(batch, Static()(batch))["weight/noncontrastive"] == pytest.approx(0.5)


RESPONSES = ["Sure, here is a short answer about it!", "* one\n* two", "hello world. this is fine.",
             "I cannot help.", "Yes. The answer is 42, because it is.", "sure thing"]
BENCHMARKS = ["alpaca_eval", "arena_hard", "healthbench", "ifeval", "infobench", "toy_heldout", "writingbench"]


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_reports_strict_completion(name):
    """Fixture items, fixed responses, the rules judge: result.json's polarization block has it."""
    from hydra.utils import instantiate

    from evals.evaluation import member_config
    from evals.judges.rules import RulesJudge

    bench = instantiate(member_config(name, {"limit": 6}))
    items = bench.load()
    res = bench.score(items, RESPONSES[: len(items)], RulesJudge())
    flat = res.flat()
    assert 0.0 <= flat["polarization/strict_completion"] <= 1.0
    # recomputed from the raw scores in samples.jsonl, by the stated definition
    own = []
    for e, s in zip(items, res.samples, strict=True):
        scores = s["scores"]
        hard = [k == "hard_rule" for k in e.rubric.kinds]
        req = [i for i, h in enumerate(hard) if h] if any(hard) else list(range(len(hard)))
        vals = []
        for i in req:
            c, x = e.rubric.criteria[i], scores[i]
            if x is None:
                vals.append(None)
                continue
            good = bool(x) if hard[i] else x >= 5
            pitfall = (c.weight or 0) < 0 or (c.points or 0) < 0
            vals.append(good != pitfall)
        own.append(0.0 if False in vals else (N if None in vals else 1.0))
    assert flat["polarization/strict_completion"] == pytest.approx(share(own))
    if name == "ifeval":  # every instruction is a Hard Rule: it is IFEval's prompt-level strict accuracy
        assert flat["polarization/strict_completion"] == pytest.approx(flat["prompt_level_strict_acc"])
