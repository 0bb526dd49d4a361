"""Keys hash only what changes results: every config field is classified, resources and transport
leave both keys alone, result fields change the policy key (or, for benchmark and eval, the cell's)."""

from __future__ import annotations

import copy
import functools

import pytest

from core.config import CONF_DIR, REPO_ROOT
from harness.compose import compose_sweep as compose
from harness.records.keys import CELL_GROUPS, Use, classify, key_fields, leaves, unclassified
from harness.records.store import cell_dirs, config_hash, to_container

CONF = CONF_DIR
GROUPS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name not in ("hydra", "experiment"))


def options() -> list[list[str]]:
    """One override list per option of every group in conf/, and each experiment preset."""
    out = [[f"{g}={p.stem}"] for g in GROUPS for p in sorted((CONF / g).glob("*.yaml"))]
    return out + [[f"experiment={p.stem}"] for p in sorted((CONF / "experiment").glob("*.yaml"))]


OPTIONS = options()


@pytest.fixture(scope="module")
def composed() -> dict[str, dict]:
    return {" ".join(o): to_container(compose(o)[0]) for o in OPTIONS}


def test_every_field_of_every_config_option_is_classified(composed):
    assert len(OPTIONS) > 20 and {"method", "judge", "scale", "benchmark", "data", "tracking"} <= set(GROUPS)
    missing = sorted({f"{path}  (with {name})" for name, full in composed.items() for path in unclassified(full)})
    assert not missing, (
        "config fields not classified as result / not result; add each to harness/records/keys.py (FIELDS, or JUDGE "
        "for a judge field): result if changing it can change a number in a result, else not_result:\n  "
        + "\n  ".join(missing))


def test_evaluate_entry_fields_are_classified():
    from harness.compose import compose_evaluate

    cfg, _ = compose_evaluate([])
    full = to_container(cfg)
    # the entry's own fields: model (what is evaluated) is keyed by eval_dir itself
    assert unclassified({k: v for k, v in full.items() if k != "model"}) == []


def _perturbed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "-x"
    if isinstance(value, list):
        return [*value, "x"]
    return "set"  # None, empty mappings


def _set(full: dict, path: str, value) -> dict:
    out = copy.deepcopy(full)
    node = out
    *head, last = path.split(".")
    for k in head:
        node = node[k]
    node[last] = value
    return out


def test_each_field_moves_exactly_the_keys_its_class_says(composed):
    """Perturb every leaf of every composed option: a not-result field leaves both keys as they
    are, a result field changes the policy key (benchmark/eval fields: the cell key only)."""
    checked = {Use.result: 0, Use.not_result: 0}
    for name, full in composed.items():
        p0, c0 = key_fields(full)
        for path, value in leaves(full):
            use = classify(path)
            p1, c1 = key_fields(_set(full, path, _perturbed(value)))
            same_policy, same_cell = config_hash(p1) == config_hash(p0), config_hash(c1) == config_hash(c0)
            if use is Use.not_result:
                assert same_policy and same_cell, f"{path} (with {name}) is not a result field but moved a key"
            elif path.split(".", 1)[0] in CELL_GROUPS:
                assert same_policy and not same_cell, f"{path} (with {name}) must move the cell key only"
            else:
                assert not same_policy, f"{path} (with {name}) is a result field but left the policy key"
            checked[use] += 1
    assert checked[Use.result] > 50 and checked[Use.not_result] > 30


@functools.cache
def _keys_of(overrides: tuple[str, ...]) -> tuple[str, str]:
    cfg, choices = compose(["benchmark=toy_heldout", *overrides])
    p, c = cell_dirs(cfg, choices)
    return p.key, c.key


def _keys(overrides) -> tuple[str, str]:
    return _keys_of(tuple(overrides))


@pytest.mark.parametrize("override", [
    # the issue's: resources of the scale and the judge's transport
    "scale.timeout_min=999", "scale.mem_gb=3", "scale.cpus_per_task=7", "scale.gpus_per_node=1",
    "judge.base_url=http://other-node:8000/v1", "judge.concurrency=3", "judge.timeout=5", "judge.max_retries=9",
    "judge.cache_path=/elsewhere/cache.sqlite", "judge.http_backend=httpx", "judge.backoff_max=1",
    "tracking=none", "tracking=wandb_online", "run.force=true", "run.sweep=other", "cache_dir=/tmp/other",
    "train.save_steps=1", "train.logging_steps=2", "eval.batch_size=3",
])
def test_resources_transport_and_tracking_never_enter_a_key(override):
    base = _keys(["judge=openai"])
    assert _keys(["judge=openai", override]) == base


@pytest.mark.parametrize(("override", "policy_moves"), [
    ("judge.model=other-judge", True), ("judge.mode=rubric", True), ("judge.temperature=0.7", True),
    ("judge.max_tokens=99", True), ("judge.json_mode=json_schema", True), ("judge.position_swap=true", True),
    ("judge.rationale_chars=0", True), ("judge.mode=group", True), ("judge.group_size=2", True),
    ("method=focal", True), ("seed=3", True), ("train.learning_rate=0.5", True), ("data.limit=9", True),
    ("scale.processes_per_node=2", True), ("scale.model=other", True),
    ("benchmark.limit=3", False), ("eval.max_new_tokens=5", False), ("eval.temperature=0.5", False),
])
def test_result_fields_move_the_key(override, policy_moves):
    p0, c0 = _keys(["judge=openai"])
    p1, c1 = _keys(["judge=openai", override])
    assert c1 != c0
    assert (p1 != p0) is policy_moves


def test_a_judge_prompt_version_bump_retrains(monkeypatch):
    from evals.judges.protocols.pairwise import PairwiseProtocol

    before = _keys_of.__wrapped__(("judge=openai",))
    monkeypatch.setattr(PairwiseProtocol, "version", PairwiseProtocol.version + "-next")
    assert _keys_of.__wrapped__(("judge=openai",))[0] != before[0]


def test_a_judge_nested_in_a_method_is_classified_as_a_judge():
    assert classify("method.base_weights.judge.base_url") is Use.not_result
    assert classify("method.base_weights.judge.model") is Use.result
    assert classify("method.base_weights.judge.some_new_field") is None  # must be classified, not guessed
    assert classify("method.base_weights.source") is Use.result
    assert classify("a_new_root_field") is None


def test_the_judges_inside_judge_mixed_are_classified_as_judges():
    assert classify("judge.llm.base_url") is Use.not_result and classify("judge.llm.model") is Use.result
    assert classify("judge.rules._target_") is Use.result and classify("judge.llm.new_field") is None
    base = _keys(["judge=mixed"])
    assert _keys(["judge=mixed", "judge.llm.base_url=http://other-node:8000/v1", "judge.llm.concurrency=8"]) == base
    assert _keys(["judge=mixed", "judge.llm.model=other-judge"])[0] != base[0]
    assert _keys(["judge=mixed", "judge@judge.llm=vllm"])[0] != base[0]
    assert _keys(["judge=local"])[0] != base[0]


def test_a_prompt_version_bump_of_the_llm_judge_inside_judge_mixed_retrains(monkeypatch):
    from evals.judges.protocols.rubric import RubricProtocol

    before = _keys_of.__wrapped__(("judge=mixed",))
    monkeypatch.setattr(RubricProtocol, "version", RubricProtocol.version + "-next")
    assert _keys_of.__wrapped__(("judge=mixed",))[0] != before[0]


def test_an_unclassified_field_enters_the_policy_key_at_run_time():
    """Conservative: an unknown field can cost a retrain, never a wrong reuse."""
    full = {"seed": 0, "brand_new": 1}
    assert key_fields(full)[0] != key_fields({**full, "brand_new": 2})[0]


@pytest.mark.parametrize("method", ["static", "gdpo", "focal_prior", "veto"])
def test_committed_records_keep_their_keys_under_todays_configs(method):
    """The committed SmolLM2 sweep composed today lands in the folders its records hold: copying the
    records to runs/ resumes it (nothing retrains) however many config fields were added since."""
    records = REPO_ROOT / "docs" / "results" / "smol_rest" / "records"
    cfg, _ = compose(["experiment=smol", f"method={method}", "seed=0", "hydra.mode=RUN"])
    policy, cell = key_fields(to_container(cfg))
    (folder,) = (records / "policies").glob(f"{method}-smollm2_135m-s0-*")
    assert folder.name.endswith(config_hash(policy))
