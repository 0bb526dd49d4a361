"""Which config fields enter which key: one table, so a key hashes only what changes results.

A policy folder is keyed by the *result* fields of (method, scale, seed, data, train, judge), a
cell by those plus the result fields of (benchmark, eval). Launcher and scale resources, URLs,
concurrency, timeouts, retries, cache paths, logging and tracking never enter a key: re-running
a finished sweep on other nodes, with a longer time limit or a judge server restarted elsewhere,
reuses every policy and cell.

``FIELDS`` maps a dotted config path pattern (``fnmatch``; the longest matching pattern wins)
to ``Use.result`` or ``Use.not_result``. A nested judge config (``judge.*``, and a judge inside
a method such as ``method.base_weights.judge.*``) is classified by ``JUDGE`` alone. Wildcards
only ever say *result*, so a field nobody classified can cost a retrain, never a wrong reuse;
``tests/harness/records/test_keys.py`` walks every field of every config option in ``conf/`` and fails on a
field that is in neither table. At run time an unclassified field enters the policy key
(conservative). Adding a field: one line here, ``result`` if changing it can change a number
in a result, else ``not_result``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any


class Use(StrEnum):
    result = "result"
    not_result = "not result"


R, N = Use.result, Use.not_result

POLICY_GROUPS = ("method", "scale", "seed", "data", "train", "judge")
CELL_GROUPS = ("benchmark", "eval")

# judge fields, wherever a judge config sits
JUDGE: dict[str, Use] = {
    "_target_": R, "model": R, "mode": R, "position_swap": R, "temperature": R, "max_tokens": R,
    "json_mode": R, "extra_body": R, "dialect": R,  # the schema's spelling decides what the server constrains
    "logprob_top": R, "logprob_min_mass": R,  # which probabilities are read, when a score is unscorable
    "rationale_chars": R,  # the schema and the system message (also in the prompt version)
    "group_size": R,  # group mode: which responses share a call (and so see each other)
  # sent with every request (sampling, guided decoding)
    "prompt_version": R,  # derived from the judge's code (see ``judge_prompt_version``)
    "max_unscorable": N, "unscorable_window": N,  # when a run stops for a dead judge; a resume ends the same
    "base_url": N, "api_key_env": N, "require_api_key": N, "concurrency": N, "timeout": N,
    "http_backend": N, "max_retries": N, "retry_invalid": N, "backoff_base": N, "backoff_max": N, "retry_after_max": N,
    "cache": N, "cache_path": N, "managed": N, "server": N,  # where the server runs, not what it answers
}

# the judges inside a judge made of judges (``judge=mixed``): each classified by ``JUDGE`` as a judge
SUB_JUDGES = ("llm", "rules")

FIELDS: dict[str, Use] = {
    "seed": R,
    # every parameter of a reward method changes the reward (a nested judge: see JUDGE)
    "method.*": R,
    # what is computed, not where: precision, generation engine and the number of processes
    # (the global batch is per_device_train_batch_size x processes) change the numbers
    "scale.model": R, "scale.dtype": R, "scale.use_vllm": R, "scale.processes_per_node": R, "scale.nodes": R,
    "scale.name": N, "scale.gpus_per_node": N, "scale.cpus_per_task": N, "scale.mem_gb": N,
    "scale.timeout_min": N, "scale.deepspeed": N,
    "scale.thinking": R, "scale.think_end_token": R,  # the rendered prompt, and where an answer starts  # ZeRO shards memory, the optimization is the same
    "data.path": R, "data.hub_id": R, "data.split": R, "data.format": R, "data.limit": R,
    "data.heldout_fraction": R, "data.pitfall_polarity": R, "data.name": N,
    "data.data_files": R, "data.judged_kind": R, "data.unknown_rules": R, "data.abilities": R, "data.principle_tags": R,
    "data.exclude_path": N, "data.exclude_format": N, "data.require_exclude": N,  # a check that fails the run, never changes the data
    "data": R,  # harness.evaluate: the data whose held-out split toy_heldout scores (None = its default)
    "train.*": R,
    # resume is equivalent (harness.cell.resume), so where checkpoints fall does not change results
    "train.save_steps": N, "train.save_total_limit": N, "train.logging_steps": N, "train.log_completions": N,
    "train.use_cpu": N, "train.vllm_mode": N, "train.vllm_gpu_memory_utilization": N,
    # adapters change the optimization; no adapter (``peft: null``, full fine-tuning) is left out of
    # the key, so policies trained before the option existed keep theirs
    "peft.*": R, "peft": N,
    "benchmark.*": R, "benchmark.judge_chunk": N,  # how many items go to the judge per call
    "eval.backend": R, "eval.max_new_tokens": R, "eval.temperature": R, "eval.batch_size": N,
    "tracking.*": N, "run.*": N, "cache_dir": N, "judge_job.*": N,  # where the judge server runs
    "report.*": N,  # how a finished sweep is summarized; never a cell's numbers
}

# read only through interpolations (conf/method/prior.yaml): what they change is keyed where it lands
# (``method.base_weights.*``), so a static policy's key does not depend on the prior's settings
READ_THROUGH = ("prior_weights",)


# fields added after policies were trained with keys that lack them: left out of the key while they hold
# the value that does what the code did before they existed, so those policies keep their keys (a sweep
# resumed from committed records reuses them); set to anything else, they enter the key
ADDED_LATER: dict[str, Any] = {
    "data.data_files": None, "data.judged_kind": "hard_rule", "data.unknown_rules": "error", "data.abilities": None,
    "data.principle_tags": None, "scale.thinking": None, "scale.think_end_token": "</think>",
    "train.vllm_max_model_length": None,
    "train.prompts_per_step": None, "method.base_weights.judge": None,
}


def leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every leaf of a plain container; lists and empty mappings are leaves."""
    if isinstance(node, Mapping) and node:
        for k, v in node.items():
            yield from leaves(v, f"{prefix}.{k}" if prefix else str(k))
    else:
        yield prefix, node


def classify(path: str) -> Use | None:
    """Whether a config path changes results; None when no table covers it."""
    parts = path.split(".")
    if parts[0] in READ_THROUGH:
        return Use.not_result
    if "judge" in parts[:-1]:
        last = len(parts) - 1 - parts[::-1].index("judge")
        rest = parts[last + 1:]
        if len(rest) > 1 and rest[0] in SUB_JUDGES:
            rest = rest[1:]
        return JUDGE.get(".".join(rest))
    best = max((p for p in FIELDS if fnmatchcase(path, p)), key=len, default=None)
    return FIELDS[best] if best is not None else None


def judge_prompt_version(judge: Mapping[str, Any] | None, prior: bool = False) -> str | None:
    """The prompt version a judge config uses, from its class without building it (no API key, no
    connection): ``prompt_version_of(**cfg)`` when the class derives it from its config, else
    its ``prompt_version`` attribute; ``prior``: the judge of prior weights, which sends only the
    prior-weight prompt (``prior_prompt_version``). A prompt edit that bumps the version retrains."""
    if not isinstance(judge, Mapping) or not judge.get("_target_"):
        return None
    import importlib

    module, _, name = str(judge["_target_"]).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
        if prior:
            return str(getattr(cls, "prior_prompt_version", "") or "") or None
        of = getattr(cls, "prompt_version_of", None)
        if callable(of):
            return str(of(**{k: v for k, v in judge.items() if k != "_target_"}))
    except Exception:  # noqa: BLE001 - a bad target or mode fails at instantiation, with its own message
        return None
    return str(getattr(cls, "prompt_version", "") or "") or None


def _with_prompt_versions(node: Any, judges: tuple[str, ...] = ("judge",), prior: bool = False) -> Any:
    """A copy where every judge config (``_target_`` under a ``judge`` key, or under ``llm``/``rules``
    of one) carries its prompt version (a judge under ``base_weights``: its prior-weight prompt's)."""
    if not isinstance(node, Mapping):
        return node
    out = {k: _with_prompt_versions(v, ("judge", *SUB_JUDGES) if k == "judge" else ("judge",), k == "base_weights")
           for k, v in node.items()}
    for k, v in out.items():
        if k in judges and isinstance(v, Mapping) and "prompt_version" not in v:
            version = judge_prompt_version(v, prior=prior and k == "judge")
            if version is not None:
                out[k] = {**v, "prompt_version": version}
    return out


def key_fields(full: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(policy fields, cell-only fields) of a resolved config: flat ``{path: value}`` of the
    result fields; unclassified fields go to the policy part (see the module doc)."""
    policy: dict[str, Any] = {}
    cell: dict[str, Any] = {}
    for path, value in leaves(_with_prompt_versions(full)):
        use = classify(path)
        if use is Use.not_result or (path in ADDED_LATER and value == ADDED_LATER[path]):
            continue
        (cell if path.split(".", 1)[0] in CELL_GROUPS else policy)[path] = value
    return policy, cell


def unclassified(full: Mapping[str, Any]) -> list[str]:
    return [p for p, _ in leaves(_with_prompt_versions(full)) if classify(p) is None]
