"""Mechanism testbed: a multi-criterion bandit trained with GRPO-style policy gradient.

Every method in ``conf/method/*.yaml`` is composed with Hydra and plugged in unchanged.

Common to both scenarios (per seed; the same environment and sampling seed for every method):
* K = 6 criteria: 2 hard rules (scored 0/1) and 4 principles (scored n/10,
  n ~ Binomial(10, p)), from easy to hard (base logits ``MU``), with declared
  importance weights ``WEIGHTS`` (what ``prior`` with ``source: rubric`` reads).
  2% of scores are unscorable (NaN).
* Policy: a softmax over arms per prompt, logits start at 0. Each step samples G arms
  per prompt, scores them, asks the method for rewards, turns them into GRPO
  advantages ``(R - mean) / (std + 1e-6)`` within each group (unscorable rollouts get
  advantage 0) and takes a policy-gradient step ``lr * mean_i A_i grad log pi(a_i)``.

``--scenario dominant`` (default; the original testbed, numbers unchanged):
P prompts, each with A arms ("response styles"). Arm a satisfies criterion k with
``p = sigmoid(MU_k + eps_ak + u_a * t_k)``: ``eps`` is arm-specific noise and ``u_a``
a latent trade-off (``t_k`` = standardized easiness), so arms that are good on the
easy criteria tend to be bad on the hard ones. One arm per prompt is a planted
generalist with p = 0.9 on every criterion, so every method converges to it.

``--scenario tradeoff`` (pre-registered 2026-11-22 before its first run; run once,
not tuned toward any method): no arm dominates, arms lie on a two-style trade-off front.
* Two styles: E (good on easy criteria) and H (good on hard criteria).
  ``STYLE_SIGN``: the three easiest criteria by ``MU`` (0, 2, 1; the 0.5 tie broken by
  index) favour E, the three hardest (3, 4, 5) favour H. So E carries both hard rules
  and 7/10 of the rubric weight, H only principles.
* Per prompt p and criterion k: an offset ``o_pk ~ N(0, 0.5^2)`` and a trade-off slope
  ``D_pk ~ U(2, 4)`` (logits between the two pure styles).
* Per arm a: a style mix ``lam_a ~ U(0, 1)`` (0 = pure E, 1 = pure H) and a quality
  deficit ``d_a``: the first ``max(2, ceil(A/2))`` arms are on the front (``d_a = 0``),
  the rest below it (``d_a ~ Exponential(mean 1)``).
* ``p_ak = sigmoid(MU_k + o_pk + STYLE_SIGN_k * D_pk * (1/2 - lam_a) - d_a)``.
  p is strictly monotone in ``lam`` in opposite directions for E and H criteria, so an
  arm with a smaller ``lam`` than a front arm is strictly worse on every H criterion and
  one with a larger ``lam`` strictly worse on every E criterion: no arm is >= all other
  arms on all criteria (asserted in ``tests/methods/test_methods_simulate.py``).
  Easy criteria saturate near the E end (``MU_0 = 2``: p ~ 0.97), the hardest one stays
  low everywhere (``MU_5 = -1.5``: p <= ~0.6), so "0.8 on every criterion" is expected
  to be "never"; the balance metrics below are the ones that matter here.
* Metrics (fixed before running; final policy, mean and 95% t-interval over seeds):
  final reward, worst criterion, steps to 0.8 (as below), plus
  spread = max - min over criteria of the prompt-averaged satisfaction,
  per-prompt worst = mean over prompts of min over criteria (balance within a prompt),
  style = mean over prompts of the policy's expected ``lam`` (0 = E, 1 = H),
  and, paired with static on the same environment and sampling seed, the per-seed
  differences (method - static) in final reward, worst criterion and spread.
* Hypothesis (the paper's balance claim, as we read it): focal's worst-criterion
  satisfaction is higher than static's (paired difference, 95% CI excluding 0) and its
  spread lower, i.e. focal moves toward style H. maxmin targets the worst criterion
  directly and is the reference for how balanced a method can get; prior
  (rubric weights, 7/10 on E criteria) is expected to move toward E.
* Run: ``python -m harness.tools.simulate --scenario tradeoff --seeds 10 --steps 300``
  (other settings at their defaults; output in ``runs/simulate/tradeoff/``).

Reported per method over seeds (mean and 95% t-interval):
* final reward: expected *uniform* mean criterion satisfaction of the final policy (a
  method-independent yardstick; the methods' own rewards are not comparable);
* worst criterion: min over criteria of the expected satisfaction (averaged over prompts);
* spread, per-prompt worst, style (tradeoff only) and paired differences vs static: see above;
* steps to 0.8: first step where every criterion's expected satisfaction >= 0.8,
  averaged over the seeds that got there (n/N reached), "never" if none did;
* strict completion (added 2026-12 with POW3R, both scenarios): the final policy's expected
  share of rollouts meeting both Hard Rules, ``sum_a pi_a prod_{k hard} p_ak`` averaged over
  prompts (``core.strict_completion``'s definition; judge failures left out), with its paired
  difference vs static.

    python -m harness.tools.simulate [--scenario dominant|tradeoff] [--seeds 5] [--steps 300] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KINDS = ("hard_rule", "hard_rule", "principle", "principle", "principle", "principle")
MU = np.array([2.0, 0.5, 1.5, 0.5, -0.5, -1.5])
WEIGHTS = (3.0, 2.0, 2.0, 1.0, 1.0, 1.0)
GENERALIST_P = 0.9
NAN_P = 0.02
TARGET = 0.8
SCENARIOS = ("dominant", "tradeoff")
# tradeoff scenario: +1 = criterion favours style E (lam = 0), -1 = favours style H (lam = 1)
STYLE_SIGN = np.array([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])


@dataclass
class Env:
    probs: np.ndarray  # (P, A, K) probability of satisfying each criterion
    style: np.ndarray | None = None  # (P, A) style mix lam (tradeoff scenario only)

    @classmethod
    def make(cls, rng: np.random.Generator, prompts: int, arms: int, scenario: str = "dominant") -> Env:
        if scenario == "tradeoff":
            return cls.tradeoff(rng, prompts, arms)
        if scenario != "dominant":
            raise ValueError(f"scenario must be one of {SCENARIOS}, got {scenario!r}")
        k = MU.shape[0]
        t = (MU - MU.mean()) / MU.std()
        eps = rng.normal(size=(prompts, arms, k))
        u = rng.normal(size=(prompts, arms, 1))
        probs = 1.0 / (1.0 + np.exp(-(MU + eps + u * t)))
        planted = rng.integers(0, arms, size=prompts)
        probs[np.arange(prompts), planted] = GENERALIST_P
        return cls(probs)

    @classmethod
    def tradeoff(cls, rng: np.random.Generator, prompts: int, arms: int) -> Env:
        """Two-style trade-off front, no dominant arm (see the module docstring)."""
        if arms < 2:
            raise ValueError(f"tradeoff scenario needs >= 2 arms, got {arms}")
        k = MU.shape[0]
        offset = rng.normal(0.0, 0.5, size=(prompts, 1, k))
        slope = rng.uniform(2.0, 4.0, size=(prompts, 1, k))
        lam = rng.random((prompts, arms))
        front = max(2, (arms + 1) // 2)
        deficit = np.zeros((prompts, arms))
        deficit[:, front:] = rng.exponential(1.0, size=(prompts, arms - front))
        logit = MU + offset + STYLE_SIGN * slope * (0.5 - lam[..., None]) - deficit[..., None]
        return cls(1.0 / (1.0 + np.exp(-logit)), lam)

    def sample_scores(self, rng: np.random.Generator, arms: np.ndarray) -> np.ndarray:
        p = self.probs[np.arange(arms.shape[0])[:, None], arms]  # (P, G, K)
        hard = np.array([x == "hard_rule" for x in KINDS])
        scores = np.where(hard, rng.random(p.shape) < p, rng.binomial(10, p) / 10.0).astype(np.float64)
        scores[rng.random(p.shape) < NAN_P] = np.nan
        return scores


def rubric():
    from core.rubric import Criterion, Rubric

    return Rubric(
        criteria=tuple(
            Criterion(text=f"criterion {k}", kind=kind, weight=w, tags=(f"difficulty:{MU[k]:+.1f}",))
            for k, (kind, w) in enumerate(zip(KINDS, WEIGHTS, strict=True))
        )
    )


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


@dataclass
class Run:
    curve: np.ndarray  # (steps + 1, K) expected satisfaction, averaged over prompts
    final: np.ndarray  # (P, K) expected satisfaction of the final policy, per prompt
    style: float  # mean over prompts of the final policy's expected lam (NaN without styles)
    strict: float = float("nan")  # expected strict completion of the final policy (every Hard Rule met)


def run_one(method, seed: int, steps: int, prompts: int, arms: int, group: int, lr: float) -> np.ndarray:
    """Train one policy; returns expected per-criterion satisfaction (steps + 1, K), averaged over prompts."""
    return train(method, seed, steps, prompts, arms, group, lr).curve


def train(
    method, seed: int, steps: int, prompts: int, arms: int, group: int, lr: float, scenario: str = "dominant"
) -> Run:
    """Train one policy on the scenario's bandit (environment drawn from ``seed``)."""
    from methods.base import build_batch

    env = Env.make(np.random.default_rng([seed, 0]), prompts, arms, scenario)
    rng = np.random.default_rng([seed, 1])
    rub = rubric()
    keys = [f"prompt{i}" for i in range(prompts)]
    w0 = [method.base_weights(key, f"question {key}", rub) for key in keys]
    kinds = [rub.kinds] * prompts
    theta = np.zeros((prompts, arms))
    curve = np.empty((steps + 1, len(KINDS)))
    rows = np.arange(prompts)[:, None]
    for step in range(steps + 1):
        pi = softmax(theta)
        curve[step] = np.einsum("pa,pak->k", pi, env.probs) / prompts
        if step == steps:
            break
        cdf = np.cumsum(pi, axis=1)
        cdf[:, -1] = 1.0
        u = rng.random((prompts, group))
        chosen = np.minimum((u[:, :, None] > cdf[:, None, :]).sum(-1), arms - 1)  # (P, G)
        scores = env.sample_scores(rng, chosen)
        r = method(build_batch(list(scores), w0, kinds, keys)).rewards
        ok = ~np.isnan(r)
        n = np.maximum(ok.sum(1, keepdims=True), 1)
        mean = np.where(ok, r, 0.0).sum(1, keepdims=True) / n
        std = np.sqrt((np.where(ok, r - mean, 0.0) ** 2).sum(1, keepdims=True) / n)
        adv = np.where(ok, (r - mean) / (std + 1e-6), 0.0)
        grad = np.zeros_like(theta)
        np.add.at(grad, (np.broadcast_to(rows, chosen.shape), chosen), adv)
        grad -= adv.sum(1, keepdims=True) * pi
        theta += lr * grad / group
    final = np.einsum("pa,pak->pk", pi, env.probs)
    style = float((pi * env.style).sum(1).mean()) if env.style is not None else float("nan")
    hard = np.array([x == "hard_rule" for x in KINDS])
    strict = float(np.einsum("pa,pa->p", pi, env.probs[..., hard].prod(axis=-1)).mean())
    return Run(curve, final, style, strict)


def ci(values: list[float]) -> tuple[float, float]:
    from scipy import stats

    x = np.asarray(values, dtype=float)
    m = float(x.mean())
    if x.size < 2 or float(x.std(ddof=1)) == 0.0:
        return m, 0.0
    lo, hi = stats.t.interval(0.95, x.size - 1, loc=m, scale=stats.sem(x))
    return m, float(hi - m)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description="Multi-criterion bandit testbed for the aggregation methods.")
    ap.add_argument("--scenario", choices=SCENARIOS, default="dominant")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--arms", type=int, default=12)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--methods", nargs="*", default=None, help="names from conf/method (default: all)")
    ap.add_argument("--out", type=Path, default=None, help="default runs/simulate[/tradeoff]")
    args = ap.parse_args(argv)
    if args.out is None:
        args.out = (
            Path("runs/simulate") if args.scenario == "dominant" else Path("runs/simulate") / args.scenario
        )

    from hydra.utils import instantiate

    from harness.compose import compose_method, method_names

    names = args.methods or method_names()
    cfgs = {name: compose_method(name, root=False) for name in names}
    curves: dict[str, np.ndarray] = {}
    finals: dict[str, np.ndarray] = {}
    styles: dict[str, np.ndarray] = {}
    stricts: dict[str, np.ndarray] = {}
    for name in names:
        runs = [
            train(
                instantiate(cfgs[name]),
                seed,
                args.steps,
                args.prompts,
                args.arms,
                args.group,
                args.lr,
                args.scenario,
            )
            for seed in range(args.seeds)
        ]
        curves[name] = np.stack([r.curve for r in runs])  # (seeds, steps + 1, K)
        finals[name] = np.stack([r.final for r in runs])  # (seeds, P, K)
        styles[name] = np.array([r.style for r in runs])
        stricts[name] = np.array([r.strict for r in runs])
    has_style = args.scenario == "tradeoff"

    summary: dict[str, dict] = {}
    header = (
        f"{'method':<12} {'final reward':>16} {'worst criterion':>16} {'spread (max-min)':>16}"
        f" {'per-prompt worst':>16}"
        + (f" {'style (0=E,1=H)':>16}" if has_style else "")
        + f" {'strict completion':>17} {'steps to 0.8 (all)':>24}"
    )
    lines = [header, "-" * len(header)]
    for name, c in curves.items():
        final = c[:, -1, :]
        fr, fr_h = ci(list(final.mean(axis=1)))
        wc, wc_h = ci(list(final.min(axis=1)))
        sp, sp_h = ci(list(final.max(axis=1) - final.min(axis=1)))
        pw, pw_h = ci(list(finals[name].min(axis=2).mean(axis=1)))
        sy, sy_h = ci(list(styles[name])) if has_style else (float("nan"), float("nan"))
        sc, sc_h = ci(list(stricts[name]))
        reach = [int(np.argmax(run.min(axis=1) >= TARGET)) for run in c if (run.min(axis=1) >= TARGET).any()]
        if reach:
            st, st_h = ci([float(x) for x in reach])
            steps_txt = f"{st:6.1f} ± {st_h:5.1f} ({len(reach)}/{len(c)})"
        else:
            steps_txt = f"never (0/{len(c)})"
        lines.append(
            f"{name:<12} {fr:7.3f} ± {fr_h:5.3f} {wc:7.3f} ± {wc_h:5.3f} {sp:7.3f} ± {sp_h:5.3f}"
            f" {pw:7.3f} ± {pw_h:5.3f}"
            + (f" {sy:7.3f} ± {sy_h:5.3f}" if has_style else "")
            + f" {sc:7.3f} ± {sc_h:5.3f} {steps_txt:>24}"
        )
        summary[name] = {
            "final_reward": [fr, fr_h],
            "worst_criterion": [wc, wc_h],
            "spread": [sp, sp_h],
            "per_prompt_worst": [pw, pw_h],
            **({"style": [sy, sy_h]} if has_style else {}),
            "strict_completion": [sc, sc_h],
            "steps_to_target": reach,
            "seeds": len(c),
            "final_per_criterion": final.mean(axis=0).tolist(),
        }
    if "static" in curves:
        ref = curves["static"][:, -1, :]
        head = (f"{'method':<12} {'Δ final reward':>16} {'Δ worst criterion':>18} {'Δ spread':>16}"
                f" {'Δ strict completion':>20}")
        lines += ["", "paired with static (same environment and sampling seed): method - static", head]
        lines.append("-" * len(head))
        for name, c in curves.items():
            if name == "static":
                continue
            final = c[:, -1, :]
            d = {
                "final_reward": ci(list(final.mean(axis=1) - ref.mean(axis=1))),
                "worst_criterion": ci(list(final.min(axis=1) - ref.min(axis=1))),
                "spread": ci(
                    list((final.max(axis=1) - final.min(axis=1)) - (ref.max(axis=1) - ref.min(axis=1)))
                ),
                "strict_completion": ci(list(stricts[name] - stricts["static"])),
            }
            lines.append(
                f"{name:<12} {d['final_reward'][0]:+7.3f} ± {d['final_reward'][1]:5.3f}"
                f" {d['worst_criterion'][0]:+9.3f} ± {d['worst_criterion'][1]:5.3f}"
                f" {d['spread'][0]:+7.3f} ± {d['spread'][1]:5.3f}"
                f" {d['strict_completion'][0]:+9.3f} ± {d['strict_completion'][1]:5.3f}"
            )
            summary[name]["paired_vs_static"] = {key: list(v) for key, v in d.items()}
    print(
        f"bandit ({args.scenario}): {args.prompts} prompts x {args.arms} arms, K={len(KINDS)} criteria, "
        f"G={args.group}, {args.steps} steps, lr={args.lr}, {args.seeds} seeds; mean ± 95% t-CI half-width"
    )
    print("\n".join(lines))

    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / "saturation_curves.png"
    plot(curves, png, args.scenario)
    (args.out / "summary.json").write_text(
        json.dumps({"args": {**vars(args), "out": str(args.out)}, "methods": summary}, indent=2)
    )
    print(f"saved {png} and {args.out / 'summary.json'}")
    return summary


def plot(curves: dict[str, np.ndarray], path: Path, scenario: str = "dominant") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(curves)
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4 * cols, 3 * rows), sharex=True, sharey=True, squeeze=False
    )
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(KINDS)))
    for ax, (name, c) in zip(axes.flat, curves.items(), strict=False):
        mean = c.mean(axis=0)
        for k in range(len(KINDS)):
            label = f"{k}: {KINDS[k]} μ={MU[k]:+.1f} w={WEIGHTS[k]:g}"
            if scenario == "tradeoff":
                label += f" style {'E' if STYLE_SIGN[k] > 0 else 'H'}"
            ax.plot(mean[:, k], color=colors[k], label=label, lw=1.2)
        ax.axhline(TARGET, color="grey", ls="--", lw=0.8)
        ax.set_title(name)
        ax.set_ylim(0, 1)
        ax.set_xlabel("step")
    for ax in axes.flat[n:]:
        ax.axis("off")
    axes[0, 0].set_ylabel("expected satisfaction")
    axes[0, 0].legend(fontsize=6, loc="lower right")
    fig.suptitle(
        f"Per-criterion saturation, {scenario} scenario (mean over {next(iter(curves.values())).shape[0]} seeds)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
