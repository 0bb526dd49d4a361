"""Structured outputs (json_mode x dialect), the logprob judge, bad requests that are HTTP 500s,
typed judge choices, and continuous scores in the benchmarks' metrics (against the loopback server)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate

from core.config import CONF_DIR
from core.rubric import Criterion, Rubric
from core.scores import MET_THRESHOLD, met, normalize
from evals.judges import prompts
from evals.judges.base import Judge, JudgeRequest, Judgment
from evals.judges.openai_judge import JudgeConfigError, OpenAIJudge
from evals.judges.protocols.logprob import hard_rule_score, principle_score
from evals.judges.replies import json_schema, pairwise_model, prior_model, rubric_model
from evals.judges.runtime import Unscorable
from tests.support.testserver import rules_scores

from .conftest import QUESTION

KINDS = ("hard_rule", "principle", "hard_rule", "principle")


def expected(r: JudgeRequest) -> list:
    return rules_scores(r.question, r.rubric, r.response)


# ----------------------------------------------------------------------------- schemas


def test_schema_is_the_rubric_shape():
    s = json_schema(rubric_model(KINDS))
    arr = s["properties"]["scores"]
    assert arr["minItems"] == arr["maxItems"] == 4 and arr["type"] == "array"
    assert [x["type"] for x in arr["prefixItems"]] == ["boolean", "integer", "boolean", "integer"]
    assert all((x.get("minimum"), x.get("maximum")) == (0, 10) for x in arr["prefixItems"][1::2])
    assert s["required"] == ["rationale", "scores"] and s["additionalProperties"] is False
    assert s["properties"]["rationale"]["type"] == "string"
    p = json_schema(pairwise_model(KINDS))
    assert set(p["required"]) == {"rationale", "rollout_A_scores", "rollout_B_scores"}
    assert p["properties"]["rollout_B_scores"]["maxItems"] == 4
    assert json_schema(prior_model(3))["properties"]["weights"]["minItems"] == 3
    assert "title" not in str(s)


@pytest.mark.parametrize(
    ("dialect", "spelling"),
    [("llamacpp", "json_object"), ("openai", "json_schema"), ("vllm", "json_schema")],
)
def test_json_schema_is_spelled_for_the_dialect(make_judge, server, requests_, dialect, spelling):
    j = make_judge(mode="pairwise", json_mode="json_schema", dialect=dialect, cache=False)
    reqs = requests_ + [JudgeRequest(QUESTION, requests_[0].rubric, "Paris.")]  # a pair + a single
    assert [o.scores for o in j.judge(reqs)] == [expected(r) for r in reqs]
    fmts = [e["response_format"] for e in server.log]
    assert all(f["type"] == spelling for f in fmts)
    schemas = [f["schema"] if dialect == "llamacpp" else f["json_schema"]["schema"] for f in fmts]
    if dialect != "llamacpp":
        assert all(f["json_schema"]["strict"] is True for f in fmts)
    assert sorted(schemas, key=str) == sorted([json_schema(pairwise_model(KINDS)), json_schema(rubric_model(KINDS))], key=str)


def test_json_modes_off_and_object_and_the_per_item_schema(make_judge, server, requests_):
    make_judge(json_mode="off", cache=False).judge(requests_[:1])
    make_judge(json_mode="json_object", cache=False).judge(requests_[:1])
    make_judge(mode="per_item", json_mode="json_schema", dialect="llamacpp", cache=False).judge(requests_[:1])
    fmts = [e["response_format"] for e in server.log]
    assert fmts[0] is None and fmts[1] == {"type": "json_object"}
    assert all(f["schema"]["properties"]["criteria_met"] == {"type": "boolean"} for f in fmts[2:])
    assert len(fmts) == 2 + 4


def test_a_reply_is_validated_the_same_strict_way_in_every_mode(make_judge, server, requests_):
    for mode in ("off", "json_object", "json_schema"):
        server.reset()
        server.inject("float_score", "float_score")  # the server ignored the schema
        j = make_judge(json_mode=mode, max_retries=1, cache=False)
        assert j.judge(requests_[:1])[0].scores == [None] * 4
        assert j.counters["invalid_replies"] == 2 and j.counters["unscorable"] == 1


def test_a_500_that_is_a_bad_request_is_not_retried(make_judge, server, requests_, caplog):
    server.inject("500_validation")
    j = make_judge(max_retries=3, cache=False)
    out = j.judge(requests_[:1])
    assert out[0].scores == [None] * 4 and server.requests == 1
    assert j.counters["bad_requests"] == 1 and j.counters["unscorable"] == 1 and j.counters["retries"] == 0
    assert "judge.dialect" in caplog.text
    server.inject("500")  # a plain 500 still is retried
    assert j.judge(requests_[1:])[0].scores == expected(requests_[1]) and j.counters["retries"] == 1


# ----------------------------------------------------------------------------- logprob


def test_logprob_scores_are_probabilities_and_expected_values():
    lp = math.log
    assert hard_rule_score([("Yes", lp(0.6)), (" no", lp(0.2)), ("The", lp(0.2))], 0.1) == pytest.approx((0.75, 0.8))
    assert hard_rule_score([("YES", lp(0.3)), ("yes", lp(0.3)), ("No", lp(0.2))], 0.1)[0] == pytest.approx(0.75)
    ev, mass = principle_score([("7", lp(0.5)), ("8", lp(0.25)), ("x", lp(0.2)), ("11", lp(0.05))], 0.1)
    assert ev == pytest.approx((7 * 0.5 + 8 * 0.25) / 0.75) and mass == pytest.approx(0.75)
    assert principle_score([(" 0", lp(0.9))], 0.1)[0] == 0.0  # a real 0 is a score ...
    for f, alts in ((hard_rule_score, [("The", lp(0.95)), ("Yes", lp(0.05))]), (principle_score, [("The", 0.0)])):
        with pytest.raises(Unscorable):  # ... too little mass on the allowed answers is not
            f(alts, 0.1)


def _lp_truth(r: JudgeRequest) -> list[float]:
    """What the loopback server's logprob replies mean: 0.8/0.1 on Yes/No, 0.7 on v and 0.1 on v +- 1."""
    out = []
    for v, kind in zip(expected(r), r.rubric.kinds, strict=True):
        if kind == "hard_rule":
            out.append(0.8 / 0.9 if v else 0.1 / 0.9)
        else:
            near = [n for n in (v - 1, v + 1) if 0 <= n <= 10]
            out.append((0.7 * v + 0.1 * sum(near)) / (0.7 + 0.1 * len(near)))
    return out


def test_logprob_mode_end_to_end(make_judge, server, requests_):
    j = make_judge(mode="logprob", logprob_top=5)
    out = j.judge(requests_)
    for o, r in zip(out, requests_, strict=True):
        assert o.scores == pytest.approx(_lp_truth(r)) and o.prompt_version == prompts.LOGPROB_VERSION
        assert all(isinstance(s, float) and 0 <= s <= 10 for s in o.scores)
    assert server.requests == 8  # one short question per criterion
    assert all(e["max_tokens"] == 1 and e["top_logprobs"] == 5 and e["response_format"] is None for e in server.log)
    assert {e["mode"] for e in server.log} == {"logprob_hard_rule", "logprob_principle"}
    v = normalize(out[0].scores, requests_[0].rubric.kinds)
    assert np.all((v > 0) & (v < 1))  # continuous, unchanged on the way to the methods
    again = j.judge(requests_)
    assert server.requests == 8 and all(o.cached for o in again)  # cached like the other modes
    assert [o.scores for o in again] == [o.scores for o in out]


def test_logprob_faults_are_unscorable_never_zero(make_judge, server, requests_):
    j = make_judge(mode="logprob", max_retries=2, cache=False)
    server.inject("no_logprobs", "low_mass", "malformed")
    out = j.judge(requests_[:1])[0]
    assert sum(s is None for s in out.scores) == 2 and 0.0 not in out.scores
    assert j.counters["logprob_missing"] == 1 and j.counters["logprob_low_mass"] == 1
    assert j.counters["unscorable"] == 2 and j.counters["invalid_replies"] == 1 and j.counters["retries"] == 1
    assert server.requests == 5  # 4 criteria + one retry of the malformed reply, none of the unscorable ones
    assert [s for s, t in zip(out.scores, _lp_truth(requests_[0]), strict=True) if s is not None] == pytest.approx(
        [t for s, t in zip(out.scores, _lp_truth(requests_[0]), strict=True) if s is not None]
    )


# ----------------------------------------------------------------------------- typed choices


def test_closed_choices_fail_at_compose_time_listing_the_values(tmp_path):
    from harness.compose import register

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        for field, bad in (("mode", "logprobs"), ("json_mode", "json_shema"), ("dialect", "llama"),
                           ("http_backend", "requests")):  # fmt: skip
            with pytest.raises(ConfigCompositionException) as e:
                compose(overrides=["+judge=openai", f"+cache_dir={tmp_path}", f"judge.{field}={bad}"])
            assert "Invalid value" in str(e.value.__cause__) or bad in str(e.value.__cause__)
        base = compose(overrides=["+judge=openai", f"+cache_dir={tmp_path}"]).judge
        local = compose(overrides=["+judge=local", f"+cache_dir={tmp_path}"]).judge
        vllm = compose(overrides=["+judge=vllm", f"+cache_dir={tmp_path}"]).judge
    assert (local.dialect, local.json_mode, local.mode) == ("llamacpp", "json_schema", "rubric")
    assert vllm.dialect == "vllm" and vllm.json_mode == "json_schema"  # vLLM constrains decoding to the schema
    for c in (local, vllm):  # inherited from openai.yaml, not repeated
        assert c.max_retries == base.max_retries and c.cache_path == base.cache_path
        assert c._target_ == base._target_
    judge = instantiate(local, base_url="http://127.0.0.1:8080/v1")  # the URL the harness passes a managed judge
    assert judge.dialect.value == "llamacpp" and judge.base_url.startswith("http://127.0.0.1")
    judge.close()
    with pytest.raises(JudgeConfigError, match=r"json_mode 'schema' unknown; use one of \['off'"):
        OpenAIJudge(base_url="http://127.0.0.1:1/v1", json_mode="schema")
    assert OpenAIJudge(base_url="http://127.0.0.1:1/v1", json_mode=True, cache=False).json_mode == "json_object"


# ----------------------------------------------------------------------------- continuous scores in metrics


def test_normalize_takes_continuous_scores_and_met_thresholds_them():
    assert list(normalize([0.25, 6.5, True, None], KINDS)[:3]) == [0.25, 0.65, 1.0]
    for bad in ([1.5, 5, True, 5], [True, 10.5, True, 5], [float("nan"), 5, True, 5]):
        with pytest.raises(ValueError):
            normalize(bad, KINDS)
    assert (met(True), met(False), met(None)) == (True, False, None)
    assert met(MET_THRESHOLD) is True and met(0.49) is False and met(0.9) is True


class _Fixed(Judge):
    """Returns given scores (a stand-in for a judge whose verdicts we choose, not for the metric)."""

    def __init__(self, scores: list[list]):
        super().__init__()
        self.scores = scores

    def judge(self, requests):
        return [Judgment(scores=list(s)) for s, _ in zip(self.scores, requests, strict=True)]


@pytest.mark.parametrize("name", ["infobench", "healthbench"])
def test_continuous_hard_rules_enter_official_metrics_through_the_threshold(name):
    from evals.benchmarks.healthbench import HealthBench
    from evals.benchmarks.infobench import InFoBench

    bench = {"infobench": InFoBench, "healthbench": HealthBench}[name](limit=4)
    items = bench.load()
    rng = np.random.default_rng(0)
    probs = [[float(x) for x in rng.uniform(0, 1, len(e.rubric))] for e in items]
    probs[0][0] = None  # unscorable stays unscorable
    as_bool = [[met(p) for p in row] for row in probs]
    responses = ["a response"] * len(items)
    cont = bench.score(items, responses, _Fixed(probs))
    boolean = bench.score(items, responses, _Fixed(as_bool))
    assert cont.metrics[bench.primary] == pytest.approx(boolean.metrics[bench.primary])
    flipped = [[(not b) if b is not None else None for b in row] for row in as_bool]
    assert bench.score(items, responses, _Fixed(flipped)).metrics[bench.primary] != pytest.approx(
        cont.metrics[bench.primary]
    )  # the threshold decides: the metric is not blind to the verdicts


def test_severity_uses_the_threshold():
    from evals.benchmarks.base import is_severe

    kinds = ("hard_rule", "principle")
    assert is_severe(Judgment(scores=[0.3, 8]), kinds) and not is_severe(Judgment(scores=[0.7, 8]), kinds)
    assert is_severe(Judgment(scores=[False, 8]), kinds) and not is_severe(Judgment(scores=[True, 8]), kinds)


def test_rubric_criterion_text_reaches_the_logprob_prompt():
    c = Criterion(text="Names Paris", kind="hard_rule", check={"type": "contains", "value": "Paris"})
    user = prompts.logprob_messages("q", c, "r")[1]["content"]
    assert "Names Paris" in user and "contains" not in user and user.endswith("Answer Yes or No.")
    assert Rubric(criteria=(c,))  # a one-criterion rubric is what the cache key is built from
