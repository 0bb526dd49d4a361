"""data=instruct_graded: Hard Rules and graded Principles the rules judge scores, frozen as generated."""

import runpy
import shutil

from omegaconf import OmegaConf

from core.config import CONF_DIR
from core.data import load_training_examples
from evals.judges.base import JudgeRequest
from evals.judges.rules import RulesJudge

ASSETS = CONF_DIR.parent / "core" / "assets"


def _data():
    node = OmegaConf.merge({"limit": None, "hub_id": None, "split": "train"}, OmegaConf.load(CONF_DIR / "data/instruct_graded.yaml"))
    return load_training_examples(node)


def test_every_rubric_has_hard_rules_and_graded_principles_the_rules_judge_scores():
    train, held = _data()
    assert (len(train), len(held)) == (48, 80)  # 12 steps of 4 prompts = one epoch; 80 held-out prompts
    judge = RulesJudge()
    for e in train + held:
        judge.validate(e.rubric)
        kinds = [c.kind for c in e.rubric.criteria]
        assert kinds.count("principle") == 3 and kinds.count("hard_rule") >= 6
        levels = [next(t for t in c.tags if t.startswith("level:")) for c in e.rubric.criteria]
        assert set(levels) <= {"level:high", "level:mid", "level:low"}  # measured before training


def test_principles_are_graded_between_0_and_10():
    train, _ = _data()
    e = train[0]
    words = next(c.check["words"] for c in e.rubric.criteria if "crit:coverage" in c.tags)
    half = f"A note that mentions {words[0]} only, written plainly for a colleague at work today."
    full = f"A note that mentions {words[0]}, {words[1]} and {words[2]}, written plainly for a colleague."
    [j_half, j_full] = RulesJudge().judge([JudgeRequest(e.question, e.rubric, half), JudgeRequest(e.question, e.rubric, full)])
    k = next(i for i, c in enumerate(e.rubric.criteria) if "crit:coverage" in c.tags)
    assert (j_half.scores[k], j_full.scores[k]) == (3, 10)
    graded = {s for j in (j_half, j_full) for s, c in zip(j.scores, e.rubric.criteria, strict=True) if c.kind == "principle"}
    assert graded - {0, 10}, "some principle lands strictly between 0 and 10"


def test_the_data_is_frozen_as_its_script_generates_it(tmp_path):
    for name in ("make_instruct.py", "make_instruct_graded.py"):
        shutil.copy(ASSETS / name, tmp_path / name)
    runpy.run_path(str(tmp_path / "make_instruct_graded.py"), run_name="__main__")
    assert (tmp_path / "instruct_graded.jsonl").read_bytes() == (ASSETS / "instruct_graded.jsonl").read_bytes()
