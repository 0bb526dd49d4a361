"""The persistent cache (hits make no request, two processes share it) and the API key's secrecy."""

from __future__ import annotations

import logging
import multiprocessing as mp
import pickle
import sqlite3

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from core.config import CONF_DIR
from evals.judges.base import JudgeRequest
from evals.judges.cache import JudgeCache, cache_key, merge
from evals.judges.openai_judge import OpenAIJudge

from ._cache_worker import worker
from .test_openai_judge import expected

SECRET = "sk-focal-test-DO-NOT-LEAK-4f1c9e0b7a"


@pytest.mark.parametrize(
    "mode,swap", [("rubric", False), ("pairwise", False), ("pairwise", True), ("per_item", False)]
)
def test_rerun_hits_cache_and_makes_zero_requests(make_judge, server, requests_, rubric, mode, swap):
    first = make_judge(mode=mode, position_swap=swap).judge(requests_)
    n = server.requests
    assert n > 0
    j = make_judge(mode=mode, position_swap=swap)  # a new instance (a new process would see the same file)
    again = j.judge(requests_)
    assert server.requests == n, "a cache hit must not make a request"
    assert [o.scores for o in again] == [o.scores for o in first]
    assert all(o.cached and o.attempts == 0 for o in again)
    assert j.counters["cache_hits"] == n and j.counters["requests"] == 0
    assert j.stats()["judge/cache_hits"] == n


def test_cache_key_covers_every_input(make_judge, server, requests_, rubric):
    make_judge().judge(requests_[:1])
    assert server.requests == 1
    make_judge(model="another-judge").judge(requests_[:1])  # model is in the key
    assert server.requests == 2
    changed = type(requests_[0])(requests_[0].question + "?", rubric, requests_[0].response)
    make_judge().judge([changed])  # question is in the key
    assert server.requests == 3
    make_judge(cache=False).judge(requests_[:1])  # cache off
    assert server.requests == 4
    keys = {
        cache_key("m", "rubric", "rubric-v1", "q", "[]", ["a"]),
        cache_key("m", "rubric", "rubric-v2", "q", "[]", ["a"]),
        cache_key("m", "pairwise", "pairwise-v1", "q", "[]", ["a", "b"]),
        cache_key("m", "pairwise", "pairwise-v1", "q", "[]", ["b", "a"]),
    }
    assert len(keys) == 4


def test_cache_uses_wal(tmp_path):
    c = JudgeCache(tmp_path / "c.sqlite")
    c.put("k", {"scores": [True, 3]})
    assert c.get("k") == {"scores": [True, 3]} and c.get("missing") is None and len(c) == 1
    mode = sqlite3.connect(tmp_path / "c.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_two_processes_share_the_cache(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    JudgeCache(path).close()
    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        seen = pool.starmap(worker, [(path, 0, 300, 20), (path, 1, 300, 20)])
    c = JudgeCache(path)
    assert len(c) == 600 + 20
    assert all(c.get(f"p{me}-{i}") == {"who": me, "i": i} for me in (0, 1) for i in range(300))
    assert all(0 <= s <= 300 for s in seen)


def test_merge_per_node_caches(tmp_path):
    a, b, t = (str(tmp_path / f"{x}.sqlite") for x in "abt")
    JudgeCache(a).put("k1", {"v": 1})
    cb = JudgeCache(b)
    cb.put("k1", {"v": 1})
    cb.put("k2", {"v": 2})
    assert merge(t, [a, b]) == 2
    assert JudgeCache(t).get("k2") == {"v": 2}


# ----------------------------------------------------------------------------- secrets


def test_api_key_never_leaks(server, requests_, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("FOCAL_TEST_JUDGE_KEY", SECRET)
    from harness.compose import register

    register()
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        cfg = compose(
            overrides=[
                "+judge=openai",
                f"+cache_dir={tmp_path}",
                f"judge.base_url={server.url}",
                "judge.api_key_env=FOCAL_TEST_JUDGE_KEY",
                "judge.mode=pairwise",
                "judge.position_swap=true",
                "judge.max_retries=2",
                "judge.backoff_base=0.001",
                "judge.backoff_max=0.002",
                "judge.timeout=0.5",
            ]
        )
    caplog.set_level(logging.DEBUG)  # everything, including the openai / httpx debug logs
    judge = instantiate(cfg.judge)
    assert isinstance(judge, OpenAIJudge)
    assert judge.cache is not None and judge.cache.path == tmp_path / "judge_cache.sqlite"
    server.inject("429", "500", "malformed")  # exercise the error/retry logging paths too
    out = judge.judge(requests_)
    assert [o.scores for o in out] == [expected(r) for r in requests_]
    # the key was actually sent ...
    assert any(e["authorization"] == f"Bearer {SECRET}" for e in server.log)
    # ... but is nowhere else
    assert caplog.records, "expected some debug logging to check"
    assert SECRET not in caplog.text
    assert SECRET not in OmegaConf.to_yaml(cfg) and SECRET not in OmegaConf.to_yaml(cfg, resolve=True)
    assert SECRET not in repr(judge) and SECRET not in str(judge.stats())
    assert SECRET not in repr(out)
    # a pickled judge (e.g. shipped to another process) carries no key; the copy reads the environment
    blob = pickle.dumps(judge)
    assert SECRET.encode() not in blob
    twin = pickle.loads(blob)
    n = server.requests
    twin.judge([JudgeRequest("another question", requests_[0].rubric, "Paris")])
    assert server.requests > n and server.log[-1]["authorization"] == f"Bearer {SECRET}"
    twin.close()
    judge.close()
    for f in tmp_path.iterdir():
        assert SECRET.encode() not in f.read_bytes(), f


def test_configs_compose_and_type_check(tmp_path, monkeypatch):
    from hydra.errors import ConfigCompositionException

    from harness.compose import register

    register()
    monkeypatch.setenv("VLLM_JUDGE_URL", "http://node042:8000/v1")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        vllm = compose(overrides=["+judge=vllm", f"+cache_dir={tmp_path}"])
        openai_cfg = compose(overrides=["+judge=openai", f"+cache_dir={tmp_path}"])
        with pytest.raises(ConfigCompositionException):
            compose(overrides=["+judge=openai", "judge.concurrency=lots"])
    assert vllm.judge.base_url == "http://node042:8000/v1" and vllm.judge.require_api_key is False
    assert openai_cfg.judge.cache_path == f"{tmp_path}/judge_cache.sqlite"
    judge = instantiate(vllm.judge)  # no key needed for vLLM
    assert judge.base_url == "http://node042:8000/v1" and judge.mode == "pairwise"
