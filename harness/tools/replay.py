"""Replay recorded verdicts through every method: ``python -m harness.tools.replay RUN_OR_RECORDS``.

A training run records, per step, what the judge said of every (prompt, rollout, criterion)
(``harness.records.verdicts``). This tool feeds those same verdicts, step by step and in training
order (methods keep state across steps: focal's EMA, focal_reference's frozen first sighting), to
fresh instances of every registered method (``conf/method/*.yaml``) or the ones named with
``--method`` (a conf name, or the dotted ``_target_`` of a user's own class), and shows where each
routes the advantage without training anything. ``--noise RATE`` replays perturbed verdicts too
(Hard Rules flipped with probability RATE; a Principle moved by 1-2 points of 10 with probability
RATE; seeded) and tabulates how far each method's weights and advantages move.

Attribution: the advantage of rollout g is split over criteria as ``c_gk = (e_gk s_gk - mean_g e s_k) /
(std + 1e-4)`` (e: the method's effective weight, s: the score), which sums to the advantage exactly
for every method whose reward is a weighted sum of the scores (all shipped ones but gdpo, whose
per-criterion normalization it leaves out). A criterion's share of advantage mass is its sum of
``|c|`` over the total. Bands: the criterion's ``level:low|mid|high`` tag, else its mean score at the
first recorded step (high >= 0.8, low < 0.35: the thresholds of ``data=instruct_graded``).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from harness.records import verdicts
from methods.base import KINDS, BaseWeights, Method, ScoreBatch, weighted_mean


@dataclass
class Step:
    """One recorded reward call as arrays (``methods.base.ScoreBatch`` shapes)."""

    step: int
    keys: tuple[str, ...]
    scores: np.ndarray  # (B, G, K)
    valid: np.ndarray  # (B, K)
    kinds: np.ndarray  # (B, K)
    tags: tuple[tuple[tuple[str, ...], ...], ...]
    base_weights: np.ndarray  # (B, K), as recorded
    advantage: np.ndarray  # (B, G), as recorded


@dataclass
class Policy:
    name: str
    path: Path
    steps: list[Step]
    config: Any = None
    scale: str = "group"


def steps_of(frame) -> list[Step]:
    """A policy's verdict table as one :class:`Step` per reward call, in training order."""
    out = []
    for (step, _), d in frame.groupby(["step", "call"], sort=True):
        keys = tuple(dict.fromkeys(d["prompt"]))
        index = {k: i for i, k in enumerate(keys)}
        b = d["prompt"].map(index).to_numpy()
        g, k = d["rollout"].to_numpy(int), d["criterion"].to_numpy(int)
        shape = (len(keys), g.max() + 1, k.max() + 1)
        scores = np.full(shape, np.nan)
        scores[b, g, k] = d["score"].to_numpy(float)
        valid = np.zeros(shape[::2], dtype=bool)
        valid[b, k] = True
        kinds = np.full(shape[::2], -1, dtype=np.int8)
        kinds[b, k] = [KINDS.index(x) for x in d["kind"]]
        w0 = np.zeros(shape[::2])
        w0[b, k] = d["base_weight"].to_numpy(float)
        adv = np.full(shape[:2], np.nan)
        adv[b, g] = d["advantage"].to_numpy(float)
        tag = [[() for _ in range(shape[2])] for _ in keys]
        for bi, ki, t in zip(b, k, d["tags"], strict=True):
            tag[bi][ki] = tuple(x for x in t.split(",") if x)
        out.append(Step(int(step), keys, scores, valid, kinds, tuple(tuple(r) for r in tag), w0, adv))
    return out


def load(path: Path) -> tuple[list[Policy], list[str]]:
    """(policies with verdicts, names of those without) of a sweep, records folder or one policy folder."""
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"replay: {path}: no such folder")
    folders = [path] if (path / "config.yaml").is_file() or (path / verdicts.FOLDER).is_dir() else sorted(
        p for p in (path / "policies").glob("*") if p.is_dir())
    if not folders:
        raise SystemExit(f"replay: {path}: neither a policy folder nor a sweep/records folder with policies/")
    found, without = [], []
    for p in folders:
        try:
            frame = verdicts.read(p)
        except ValueError as e:
            raise SystemExit(f"replay: {e}") from e
        if frame is None:
            without.append(p.name)
            continue
        cfg = OmegaConf.load(p / "config.yaml") if (p / "config.yaml").is_file() else None
        scale = str(OmegaConf.select(cfg, "train.scale_rewards", default="group")) if cfg is not None else "group"
        found.append(Policy(p.name, p, steps_of(frame), cfg, scale))
    return found, without


def perturb(step: Step, rate: float, rng: np.random.Generator) -> Step:
    """The same step with noisy verdicts: each Hard Rule flipped with probability ``rate``; each
    Principle, with probability ``rate``, moved by 1 or 2 points of 10 either way (clipped to [0, 1])."""
    s = step.scores.copy()
    present = ~np.isnan(s)
    hit = present & (rng.random(s.shape) < rate)
    hard = np.broadcast_to((step.kinds == 0)[:, None, :], s.shape)
    s[hit & hard] = 1.0 - s[hit & hard]
    jitter = rng.choice([-0.2, -0.1, 0.1, 0.2], size=s.shape)
    s[hit & ~hard] = np.clip(s[hit & ~hard] + jitter[hit & ~hard], 0.0, 1.0)
    return Step(step.step, step.keys, s, step.valid, step.kinds, step.tags, step.base_weights, step.advantage)


# ---- methods -------------------------------------------------------------------------------------

def make_method(spec: str) -> Method:
    """A fresh method from a conf name (``conf/method/<name>.yaml``) or a dotted class path."""
    from hydra.utils import instantiate

    from harness.compose import instantiate_method, method_names

    if spec in method_names():
        return instantiate_method(spec)
    if "." in spec:
        try:
            m = instantiate({"_target_": spec})
        except Exception as e:  # noqa: BLE001 - one line naming the method
            raise SystemExit(f"replay: --method {spec}: cannot build it ({type(e).__name__}: {e})") from e
        if not isinstance(m, Method):
            raise SystemExit(f"replay: --method {spec}: {type(m).__name__} is not a methods.base.Method")
        return m
    raise SystemExit(f"replay: --method {spec}: not a conf/method name ({', '.join(method_names())}) "
                     "nor a dotted _target_")


class Weights:
    """Base weights of a method for one policy: uniform without data; otherwise from the training
    examples named by the policy's config (loaded once)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._examples: dict[str, Any] | None = None

    def examples(self) -> dict[str, Any]:
        if self._examples is None:
            from core.data import load_training_examples

            data = OmegaConf.select(self.policy.config, "data") if self.policy.config is not None else None
            if data is None:
                raise LookupError(f"{self.policy.name}: no data config to build base weights from")
            train, held = load_training_examples(data)
            self._examples = {e.id: e for e in [*train, *held]}
        return self._examples

    def __call__(self, method: Method, step: Step) -> np.ndarray:
        if type(method.base_weights) is BaseWeights:
            n = step.valid.sum(axis=1, keepdims=True)
            return np.where(step.valid, 1.0 / np.maximum(n, 1), 0.0)
        ex, w0 = self.examples(), np.zeros(step.valid.shape)
        for b, key in enumerate(step.keys):
            if key not in ex:
                raise LookupError(f"{self.policy.name}: prompt {key!r} is not in its training data")
            w = method.base_weights(key, ex[key].question, ex[key].rubric)
            w0[b, : len(w)] = w
        return w0


@dataclass
class Trace:
    """What one method did on one policy's steps."""

    steps: list[int] = field(default_factory=list)
    advantage: list[np.ndarray] = field(default_factory=list)  # (B, G) per step
    contribution: list[np.ndarray] = field(default_factory=list)  # (B, G, K)
    weights: list[np.ndarray] = field(default_factory=list)  # (B, K)
    base: list[np.ndarray] = field(default_factory=list)  # (B, K)


def run_method(method: Method, steps: Sequence[Step], scale: str, w0=None) -> Trace:
    """Feed the steps to ``method`` in order; ``w0(method, step)`` gives its base weights (None: as recorded)."""
    t = Trace()
    for st in steps:
        base = st.base_weights if w0 is None else w0(method, st)
        batch = ScoreBatch(st.scores, st.valid, base, st.kinds, st.keys, st.tags)
        agg = method(batch)
        adv = verdicts.advantages(agg.rewards, scale)
        eff = agg.rollout_weights if agg.rollout_weights is not None else weighted_mean(st.scores, agg.weights)[1]
        es = np.where(np.isnan(st.scores), 0.0, eff * np.nan_to_num(st.scores))
        centred = es - es.mean(axis=1, keepdims=True)
        denom = verdicts.denominator(agg.rewards, scale)
        t.steps.append(st.step)
        t.advantage.append(adv)
        t.contribution.append(centred / denom[..., None])
        t.weights.append(np.where(st.valid, agg.weights, np.nan))
        t.base.append(np.where(st.valid, base, np.nan))
    return t


def replay(policies: Sequence[Policy], specs: Sequence[str], noise: float | None = None, seed: int = 0,
           note=print) -> tuple[dict[str, list[Trace]], dict[str, list[Trace]], dict[str, float]]:
    """(traces per method, the same on noisy verdicts (empty without ``noise``), and per policy the
    largest |recorded - replayed| advantage of the method it was trained with)."""
    from hydra.utils import instantiate

    clean: dict[str, list[Trace]] = defaultdict(list)
    noisy: dict[str, list[Trace]] = defaultdict(list)
    check: dict[str, float] = {}
    skipped: set[str] = set()
    for i, pol in enumerate(policies):
        if pol.config is not None and OmegaConf.select(pol.config, "method._target_") is not None:
            try:
                own = instantiate(pol.config.method)
            except Exception as e:  # noqa: BLE001 - the check is skipped, said in one line
                note(f"replay: {pol.name}: its own method cannot be rebuilt here ({type(e).__name__}); check skipped")
            else:
                trained = run_method(own, pol.steps, pol.scale)
                check[pol.name] = float(max(np.nanmax(np.abs(a - st.advantage), initial=0.0)
                                            for a, st in zip(trained.advantage, pol.steps, strict=True)))
        rng = np.random.default_rng([seed, i])
        bumped = [perturb(st, noise, rng) for st in pol.steps] if noise else []
        w0 = Weights(pol)
        for spec in specs:
            if spec in skipped:
                continue
            try:
                clean[spec].append(run_method(make_method(spec), pol.steps, pol.scale, w0))
                if noise:
                    noisy[spec].append(run_method(make_method(spec), bumped, pol.scale, w0))
            except LookupError as e:
                note(f"replay: {spec} left out: {e}")
                skipped.add(spec)
                clean.pop(spec, None)
                noisy.pop(spec, None)
    return dict(clean), dict(noisy), check


def main(argv: Sequence[str] | None = None) -> int:
    from harness.compose import method_names
    from harness.tools import replay_report

    ap = argparse.ArgumentParser(prog="python -m harness.tools.replay", description=__doc__.split("\n\n")[0])
    ap.add_argument("records", type=Path, help="a sweep folder, a records folder (policies/...) or one policy folder")
    ap.add_argument("--method", action="append", default=None,
                    help="a conf/method name or a dotted _target_ (repeatable; default: every registered method)")
    ap.add_argument("--noise", type=float, default=None, help="also replay verdicts perturbed at this rate (0-1)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the perturbation")
    ap.add_argument("--plot", type=Path, default=None, help="write the figures (PNG) into this folder")
    args = ap.parse_args(argv)
    if args.noise is not None and not 0.0 < args.noise <= 1.0:
        raise SystemExit(f"replay: --noise {args.noise}: must be in (0, 1]")
    specs = list(dict.fromkeys(["static", *(args.method or method_names())]))
    for spec in specs:
        make_method(spec)  # a bad name fails before any work
    policies, without = load(args.records)
    if without:
        print(f"replay: {len(without)} of {len(without) + len(policies)} policies in {args.records} have no verdicts "
              "(trained before verdict recording): " + ", ".join(without))
    if not policies:
        print("replay: nothing to replay")
        return 1
    clean, noisy, check = replay(policies, specs, args.noise, args.seed)
    print(replay_report.render(policies, clean, noisy, check, args.noise))
    if args.plot is not None:
        for f in replay_report.plot(policies, clean, args.plot):
            print(f"wrote {f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

