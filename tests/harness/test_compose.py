"""Every YAML in conf/ composes and instantiates; bad choices and typos fail at compose time."""

from __future__ import annotations

import enum
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException, InstantiationException, MissingConfigException
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError

from harness.compose import CONF_DIR
from harness.compose import compose_sweep as compose

GROUPS = sorted(
    str(p.parent.relative_to(CONF_DIR))
    for p in CONF_DIR.rglob("*.yaml")
    if p.parent != CONF_DIR
)


def _options():
    out = []
    for p in sorted(CONF_DIR.rglob("*.yaml")):
        if p.parent == CONF_DIR:
            continue
        group = str(p.parent.relative_to(CONF_DIR))
        out.append((group, p.stem))
    return out


def _targets(node, path="cfg"):
    """Every (path, node) in the config tree that carries a _target_."""
    if isinstance(node, DictConfig):
        if "_target_" in node:
            yield path, node
        for k in node:
            yield from _targets(node[k], f"{path}.{k}")
    elif isinstance(node, ListConfig):
        for i, v in enumerate(node):
            yield from _targets(v, f"{path}[{i}]")


def test_default_composes_to_the_embedded_default():
    cfg, choices = compose()
    assert choices["method"] == "static" and choices["scale"] == "tiny" and choices["judge"] == "rules"
    assert choices["data"] == "toy" and choices["tracking"] == "wandb_offline" and choices["benchmark"]
    assert cfg.scale.model == "tiny" and cfg.tracking.mode == "offline"
    OmegaConf.resolve(cfg)  # every interpolation resolves


def test_default_is_the_toy_sweep_and_smoke_is_one_cell():
    from hydra import compose as hcompose
    from hydra import initialize_config_dir

    cfg, choices = compose()
    assert choices["experiment"] == "toy" and choices["benchmark"] == "toy_suite"
    assert "toy_heldout" in cfg.benchmark.suite and cfg.data.heldout_fraction > 0
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        full = hcompose("config", overrides=["experiment=toy"], return_hydra_config=True)
        smoke = hcompose("config", overrides=["experiment=smoke"], return_hydra_config=True)
    assert str(full.hydra.mode) in ("MULTIRUN", "RunMode.MULTIRUN")
    params = full.hydra.sweeper.params
    methods = str(params.method).split(",")
    assert {"static", "prior", "focal", "focal_prior"} <= set(methods) and len(methods) >= 5
    assert len(str(params.seed).split(",")) >= 3
    assert full.hydra.sweeper.max_batch_size is None  # every job in one batch: the pool keeps each core busy
    assert full.hydra.launcher._target_.endswith("JoblibLauncher")
    assert str(smoke.hydra.mode) in ("RUN", "RunMode.RUN") and not smoke.hydra.sweeper.params
    assert smoke.benchmark._target_ == "evals.benchmarks.ifeval.IFEval"


def test_no_override_is_the_main_job_and_any_override_composes_the_plain_root():
    """A bare command gets the toy preset; a command that names anything gets no toy value it did not ask for."""
    from harness.config import TrainConf

    bare, bare_ch = compose()
    toy, toy_ch = compose(["experiment=toy"])
    assert OmegaConf.to_container(bare) == OmegaConf.to_container(toy) and bare_ch == toy_ch
    plain, plain_ch = compose(["method=focal"])
    assert plain_ch["method"] == "focal" and plain_ch.get("experiment") in (None, "None", "null")
    assert plain_ch["benchmark"] == "ifeval" and plain.run.sweep != toy.run.sweep
    assert OmegaConf.to_container(plain.train) == OmegaConf.to_container(OmegaConf.structured(TrainConf))
    assert plain.report.train_end != toy.report.train_end and plain.scale.cpus_per_task != toy.scale.cpus_per_task
    paper, paper_ch = compose(["experiment=paper"])
    assert paper_ch["experiment"] == "paper" and paper.train.learning_rate != toy.train.learning_rate


def test_cli_adds_the_main_job_only_to_a_command_without_overrides():
    from harness.compose import main_job_argv

    assert main_job_argv([]) == ["experiment=toy"]
    assert main_job_argv(["--cfg", "job"]) == ["--cfg", "job", "experiment=toy"]
    assert main_job_argv(["-m", "-c", "hydra", "-p", "hydra.sweeper"])[-1] == "experiment=toy"
    for argv in (["method=focal"], ["-m", "hydra/launcher=slurm", "scale=qwen3_8b"], ["--cfg", "job", "seed=1"]):
        assert main_job_argv(argv) == argv


@pytest.mark.parametrize(("group", "name"), _options(), ids=lambda x: str(x))
def test_every_option_composes_and_instantiates(group, name, tmp_path, monkeypatch):
    monkeypatch.setenv("FOCAL_HARNESS_CACHE", str(tmp_path))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-compose-test-not-a-real-key")  # judges read the key at construction
    override = f"{group}={name}"
    cfg, choices = compose([override])
    if group.startswith("hydra"):
        from hydra import compose as hcompose
        from hydra import initialize_config_dir

        with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
            full = hcompose("config", overrides=[override], return_hydra_config=True)
        assert get_class(full.hydra.launcher._target_) is not None
        if name == "pool":  # one worker per core a job uses
            assert full.hydra.launcher.n_jobs >= 1 and str(full.hydra.launcher.batch_size) == "1"
        else:
            assert full.hydra.launcher.timeout_min == cfg.scale.timeout_min
        return
    assert choices.get(group, name) == name
    node = cfg if group == "experiment" else OmegaConf.select(cfg, group.replace("/", "."))
    if group == "benchmark" and "suite" in node:  # benchmark=all names the members, each checked itself
        members = {p.stem for p in (CONF_DIR / "benchmark").glob("*.yaml")} - {name}
        assert node.suite and set(node.suite) <= members
        return
    found = list(_targets(node))
    if group in ("method", "judge", "benchmark"):
        assert found, f"{group}/{name} has no _target_"
    for _, sub in found:  # first every served judge (also the one inside judge=mixed), then every target
        if sub.get("managed") and sub.get("base_url") is None:  # the harness serves it and passes the URL in
            with pytest.raises(InstantiationException, match="no base_url"):
                instantiate(sub)
            sub.base_url = "http://127.0.0.1:1/v1"
    for path, sub in found:
        obj = instantiate(sub)
        assert obj is not None, path


def test_unknown_option_lists_available_ones():
    with pytest.raises((MissingConfigException, ConfigCompositionException)) as info:
        compose(["method=nope"])
    msg = str(info.value)
    assert "method/nope" in msg and "Available options" in msg and "static" in msg


@pytest.mark.parametrize(
    "override",
    [
        "train.learning_rate=abc",
        "train.max_step=3",
        "scale.gpus_per_node=two",
        "judge.colour=1",
        "method.gama=2",
        "train.loss_type=dr_grp",
        "train.scale_rewards=std",
    ],
)
def test_typed_fields_fail_at_compose(override):
    with pytest.raises((ConfigCompositionException, ValidationError, ConfigKeyError)):
        compose([override])


def test_enum_typo_names_the_choices():
    with pytest.raises(ConfigCompositionException) as info:
        compose(["train.loss_type=dr_grp"])
    cause = str(info.value.__cause__)
    assert "dr_grp" in cause and "dr_grpo" in cause and "dapo" in cause


def test_every_train_field_reaches_trl_under_its_name(tmp_path):
    """No train.* knob is silently dropped: each non-default value shows up on TRL's GRPOConfig."""
    import dataclasses

    from harness.cell.train import gpu_plan, grpo_args
    from harness.config import TrainConf

    changed = {
        "max_steps": 5,
        "learning_rate": 3e-4,
        "per_device_train_batch_size": 6,
        "gradient_accumulation_steps": 2,
        "num_generations": 3,
        "max_completion_length": 17,
        "temperature": 0.7,
        "beta": 0.04,
        "logging_steps": 2,
        "save_steps": 3,
        "save_total_limit": 1,
        "bf16": False,
        "use_cpu": True,
        "log_completions": True,
        "loss_type": "dr_grpo",
        "scale_rewards": "none",
        "epsilon": 0.1,
        "epsilon_high": 0.28,
        "num_iterations": 2,
        "top_p": 0.9,
        "mask_truncated_completions": True,
        "vllm_mode": "server",
        "vllm_gpu_memory_utilization": 0.5,
        "vllm_max_model_length": 512,
    }
    derived = {"prompts_per_step"}  # reaches TRL as the per-device batch (tests/harness/cell/test_batch.py)
    assert set(changed) | derived == {f.name for f in dataclasses.fields(TrainConf)}  # a new field needs a line here
    cfg, _ = compose([f"train.{k}={v}" for k, v in changed.items()])
    args = grpo_args(cfg.train, cfg.seed, tmp_path / "ckpt", gpu_plan(cfg.scale), [])
    got = {k: getattr(args, k) for k in changed}
    assert got == changed
    cfg, _ = compose([*(f"train.{k}={v}" for k, v in changed.items()), "train.prompts_per_step=4"])
    args = grpo_args(cfg.train, cfg.seed, tmp_path / "ckpt", gpu_plan(cfg.scale), [], world_size=1)
    assert args.per_device_train_batch_size == 4 * 3 // 2  # prompts x num_generations / (1 process x 2 accumulation)
    assert type(args.loss_type) is str and type(args.scale_rewards) is str  # plain strings for TRL


def _cli(*args, cwd):
    env = {**os.environ, "FOCAL_HARNESS_CACHE": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "harness.sweep", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_cfg_job_and_compose_errors(tmp_path):
    shown = _cli("--cfg", "job", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "method:" in shown.stdout and "_target_: methods.static.Static" in shown.stdout
    assert "sweep: toy" in shown.stdout  # a bare command shows (and runs) the main job
    plain = _cli("--cfg", "job", "method=focal", cwd=tmp_path)
    assert plain.returncode == 0 and "methods.focal.Focal" in plain.stdout and "sweep: toy" not in plain.stdout
    bad = _cli("method=nope", cwd=tmp_path)
    assert bad.returncode != 0
    assert "Could not find 'method/nope'" in bad.stderr and "Available options in 'method'" in bad.stderr
    typo = _cli("train.learning_rate=abc", cwd=tmp_path)
    assert typo.returncode != 0 and "learning_rate" in typo.stderr
    assert not (Path(tmp_path) / "runs").exists()  # nothing half-written


def test_method_mode_is_an_enum_naming_its_values():
    with pytest.raises(ConfigCompositionException) as info:
        compose(["method=focal", "method.mode=referenc"])
    cause = str(info.value.__cause__)
    assert "referenc" in cause and "group" in cause and "reference" in cause
    cfg, _ = compose(["method=focal", "method.mode=reference"])
    assert instantiate(cfg.method).stateful


def test_method_defaults_are_written_once_in_the_signature():
    """A method's YAML holds its schema include (or the YAML it builds on), _target_, base weights and
    only the values that differ from the constructor's defaults: the schema is derived from the
    signature, so a default has no second copy to drift."""
    import inspect

    from core.registry import components
    from harness.compose import method_names

    for name in method_names():
        own = {k: v for k, v in OmegaConf.load(CONF_DIR / "method" / f"{name}.yaml").items()
               if k not in ("defaults", "_target_", "base_weights")}
        cfg, _ = compose([f"method={name}"])
        cls = get_class(cfg.method._target_)
        derived = [c for c in components("method").values() if getattr(c, "__signature_of__", None) is cls]
        assert derived, f"{cls.__name__}: put @component on the class (schema from its signature), not on a dataclass"
        params = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
                  if k not in ("self", "base_weights")}
        repeated = {k: v for k, v in own.items() if k in params and v == params[k]}
        assert repeated == {}, f"conf/method/{name}.yaml repeats the signature's defaults {repeated}"
        assert {k: cfg.method[k] for k in params if k not in own} == {k: v for k, v in params.items() if k not in own}
    # focal_prior and prior only say what differs from focal and static
    assert set(OmegaConf.load(CONF_DIR / "method" / "focal_prior.yaml")) == {"defaults", "base_weights"}
    assert set(OmegaConf.load(CONF_DIR / "method" / "prior.yaml")) == {"defaults", "base_weights"}


@pytest.mark.parametrize("group", ["judge", "benchmark"])
def test_judge_and_benchmark_defaults_are_written_once(group):
    """As for methods: each judge and benchmark has its schema derived from its constructor's signature,
    and its YAML holds the schema include (or the YAML it builds on), _target_ and only values that
    differ from the signature's defaults and from the YAML it builds on (vllm.yaml on openai.yaml)."""
    import inspect

    from core.registry import components

    for path in sorted((CONF_DIR / group).glob("*.yaml")):
        raw = OmegaConf.load(path)
        own = {k: v for k, v in OmegaConf.to_container(raw).items() if k not in ("defaults", "_target_")}
        cfg, _ = compose([f"{group}={path.stem}"])
        node = cfg[group]
        if group == "benchmark" and "suite" in node:  # the suite names members; its schema is a dataclass
            from evals.benchmarks.suite import SuiteConf

            schema = OmegaConf.to_container(OmegaConf.structured(SuiteConf))
            repeated = {k: v for k, v in own.items() if schema.get(k) == v}
            assert repeated == {}, f"conf/{group}/{path.name} repeats the suite schema's defaults {repeated}"
            continue
        cls = get_class(node._target_)
        derived = [c for c in components(group).values() if getattr(c, "__signature_of__", None) is cls]
        assert derived, f"{cls.__name__}: put @component on the class (schema from its signature), not on a dataclass"
        params = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
                  if k != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        inherited: dict = {}
        for base in raw.get("defaults", []):
            if isinstance(base, str) and base != "_self_" and not base.startswith("/"):
                b = OmegaConf.to_container(OmegaConf.load(CONF_DIR / group / f"{base}.yaml"))
                inherited.update({k: v for k, v in b.items() if k not in ("defaults", "_target_")})
            elif not isinstance(base, str):  # a judge made of judges: `/judge@llm: local` composes an argument
                ((entry, _),) = base.items()
                inherited[entry.split("@", 1)[1]] = OmegaConf.to_container(node[entry.split("@", 1)[1]])
        before = {**params, **inherited}
        repeated = {k: v for k, v in own.items() if k in before and v == before[k]}
        assert repeated == {}, f"conf/{group}/{path.name} repeats defaults {repeated}"
        assert set(own) <= set(params), f"conf/{group}/{path.name}: {set(own) - set(params)} are no arguments"
        rest = [k for k in params if k not in own and k not in inherited]
        got = OmegaConf.to_container(node, resolve=True)
        assert {k: got[k] for k in rest} == {k: params[k] for k in rest}  # the rest is the signature's
    # the variants of the openai judge only say what differs from it
    if group == "judge":
        for variant in ("local", "vllm"):
            assert OmegaConf.load(CONF_DIR / "judge" / f"{variant}.yaml").defaults == ["openai", "_self_"]


class Colour(enum.StrEnum):
    red = "red"
    blue = "blue"


class Thing:
    def __init__(self, n: int, rate: float | None = 0.5, colour: Colour = Colour.red,
                 names: list[str] = ["a"], helper: object = None, **extra) -> None:  # noqa: B006
        pass


def test_schema_from_signature_types_defaults_and_typos():
    from core.registry import schema_from_signature

    schema = OmegaConf.structured(schema_from_signature(Thing))
    assert OmegaConf.is_missing(schema, "n") and schema.rate == 0.5 and schema.colour == Colour.red
    assert list(schema.names) == ["a"] and schema.helper is None and "extra" not in schema
    assert schema._target_.endswith("Thing")
    for bad in ({"n": "x"}, {"colour": "green"}, {"nn": 1}):
        with pytest.raises((ValidationError, ConfigKeyError)):
            OmegaConf.merge(schema, bad)
    assert OmegaConf.merge(schema, {"rate": None, "helper": {"_target_": "x"}}).rate is None


@pytest.mark.parametrize(("overrides", "launcher"), [
    ([], "JoblibLauncher"),  # the default: the local process pool
    (["launcher=local"], "LocalLauncher"),
    (["hydra/launcher=local"], "LocalLauncher"),  # Hydra's own spelling still wins
    (["experiment=paper"], "SlurmLauncher"),  # an experiment chooses through the `launcher` group
])
def test_the_launcher_group_picks_hydras_launcher(overrides, launcher, monkeypatch):
    from hydra import compose as hcompose
    from hydra import initialize_config_dir

    monkeypatch.setenv("FOCAL_DATA", "/data")
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base=None):
        full = hcompose("config", overrides=overrides, return_hydra_config=True)
    assert full.hydra.launcher._target_.rsplit(".", 1)[1] == launcher
