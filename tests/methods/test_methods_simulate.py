"""The bandit testbed runs end to end with tiny settings and writes its table and PNG."""

from __future__ import annotations

from harness.compose import method_names
from harness.tools.simulate import main


def test_simulate_tiny(tmp_path, capsys):
    summary = main(["--seeds", "2", "--steps", "4", "--prompts", "3", "--arms", "4", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "final reward" in out and "worst criterion" in out and "steps to 0.8" in out
    for name in method_names():
        assert any(line.startswith(name + " ") for line in out.splitlines()), name
        assert summary[name]["seeds"] == 2
        assert 0.0 <= summary[name]["worst_criterion"][0] <= summary[name]["final_reward"][0] <= 1.0
    png = tmp_path / "saturation_curves.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "summary.json").is_file()


def test_tradeoff_has_no_dominant_arm():
    """The design property of ``--scenario tradeoff``: per prompt, no arm is >= every other arm on all criteria."""
    import numpy as np

    from harness.tools.simulate import Env

    for seed in range(5):
        for arms in (2, 3, 12):
            env = Env.make(np.random.default_rng([seed, 0]), 8, arms, "tradeoff")
            p = env.probs  # (P, A, K)
            assert env.style is not None and env.style.shape == p.shape[:2]
            # geq[p, a, b]: arm a >= arm b on every criterion
            geq = (p[:, :, None, :] >= p[:, None, :, :]).all(axis=-1)
            others = ~np.eye(arms, dtype=bool)
            dominant = (geq | ~others).all(axis=2)  # (P, A)
            assert not dominant.any(), (seed, arms, np.argwhere(dominant))


def test_simulate_tradeoff_tiny(tmp_path, capsys):
    summary = main(
        [
            "--scenario",
            "tradeoff",
            "--seeds",
            "2",
            "--steps",
            "4",
            "--prompts",
            "3",
            "--arms",
            "4",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert "tradeoff" in out and "spread" in out and "style" in out and "paired with static" in out
    for name in method_names():
        assert summary[name]["seeds"] == 2
        assert 0.0 <= summary[name]["worst_criterion"][0] <= summary[name]["final_reward"][0] <= 1.0
        assert 0.0 <= summary[name]["style"][0] <= 1.0
    assert (tmp_path / "saturation_curves.png").is_file()
