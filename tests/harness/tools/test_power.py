import math

import pandas as pd
import pytest

from core.config import REPO_ROOT
from harness.tools.power import main, mde, pooled_sd, power_two_sample


def test_the_mde_is_detected_with_the_requested_power():
    for n in (2, 3, 5):
        d = mde(0.1, n)
        assert power_two_sample(d, 0.1, n) == pytest.approx(0.8, abs=1e-6)
        assert power_two_sample(0.5 * d, 0.1, n) < 0.8 < power_two_sample(1.5 * d, 0.1, n)


def test_many_seeds_give_the_normal_approximation():
    n, sd = 400, 0.05
    normal = (1.959964 + 0.841621) * sd * math.sqrt(2 / n)
    assert mde(sd, n) == pytest.approx(normal, rel=0.01)


def test_small_samples_need_more_than_the_normal_approximation():
    assert mde(1.0, 3) > 1.1 * (1.959964 + 0.841621) * math.sqrt(2 / 3)
    assert mde(1.0, 2) > mde(1.0, 3) > mde(1.0, 6)


def test_pooled_sd_is_the_root_mean_variance_over_methods_with_two_seeds():
    cells = pd.DataFrame({"method": ["a", "a", "a", "b", "b", "c"], "x": [0.0, 1.0, 2.0, 0.0, 2.0, 9.0]})
    sd, per, k = pooled_sd(cells, "x")
    assert per == {"a": pytest.approx(1.0), "b": pytest.approx(math.sqrt(2))}
    assert k == 2 and sd == pytest.approx(math.sqrt(1.5))


def test_cli_reads_committed_records(capsys):
    main([str(REPO_ROOT / "docs/results/smol_rest/records"), "--benchmark", "toy_heldout", "--metric", "score",
          "--seeds", "3"])
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| score |"))
    sd, mde3 = (float(x) for x in row.strip("| ").split(" | ")[2:4])
    assert mde3 == pytest.approx(mde(sd, 3), abs=2e-3) and 0 < sd < 1


def test_cli_names_an_unknown_metric():
    with pytest.raises(SystemExit, match="no metric 'nope'"):
        main([str(REPO_ROOT / "docs/results/smol_rest/records"), "--benchmark", "toy_heldout", "--metric", "nope"])
