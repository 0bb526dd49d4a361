"""Build-time config reference (run by mkdocs-gen-files on every ``mkdocs build`` / ``serve``).

Every option of every config group in ``conf/`` is composed exactly as ``python -m harness.sweep``
composes it (``harness.compose.compose_sweep``), and the root schemas are read from the
dataclasses of ``harness.config`` (and ``core.config`` for ``data``), so the pages cannot drift from the code. Nothing here is
hand-maintained: add a YAML to ``conf/<group>/`` or a field to a schema and the next build lists it.

Pages written (virtual files, never on disk): ``reference/config/index.md``,
``reference/config/<group>.md`` for each group, ``reference/config/schema.md``, and
``reference/paper-provenance.md`` (``harness.tools.provenance``), and ``reference/benchmarks/`` (each
benchmark folder's README, with an index).
Run it on its own with ``python docs/gen_reference.py --print`` to see the pages on stdout.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from omegaconf import MISSING, OmegaConf  # noqa: E402

from core import config as C  # noqa: E402
from core.registry import components  # noqa: E402
from harness import config as S  # noqa: E402

OUT = "reference/config"
PROVENANCE_PAGE = "reference/paper-provenance.md"  # where every value of experiment=paper comes from
BENCHMARKS = "reference/benchmarks"  # the benchmark folders' READMEs

# group folder in conf/ -> (page stem, one-line purpose)
GROUPS = {
    "method": ("method", "Reward aggregation: per-criterion scores to one scalar reward per rollout."),
    "scale": ("scale", "The policy model and the resources one job asks for."),
    "judge": ("judge", "Who scores rollouts and benchmark responses against a rubric."),
    "data": ("data", "Training rubric data."),
    "benchmark": ("benchmark", "What a trained policy is evaluated on."),
    "tracking": ("tracking", "Weights & Biases mode (the local JSONL mirror is always written)."),
    "peft": ("peft", "Parameter-efficient fine-tuning; no `peft` node (the default) is full fine-tuning."),
    "experiment": ("experiment", "Presets: global patches over the root config (`conf/experiment/`)."),
    "hydra/launcher": ("launcher", "Where the jobs of a multirun (`-m`) run."),
}

# root schemas (harness.config; data's in core.config), in the order a reader meets them
ROOT_SCHEMAS = [
    ("train", S.TrainConf), ("eval", S.EvalConf), ("run", S.RunConf), ("report", S.ReportConf),
    ("data", C.DataConf), ("scale", S.ScaleConf), ("tracking", S.TrackingConf), ("peft", S.LoraConf),
    ("prior_weights", S.PriorWeightsConf),
]
# schemas of the plain (non-component) groups
GROUP_SCHEMAS = {"scale": S.ScaleConf, "data": C.DataConf, "tracking": S.TrackingConf, "peft": S.LoraConf}


# ---------------------------------------------------------------------------------------- helpers

def options(group: str) -> list[str]:
    return sorted(p.stem for p in (C.CONF_DIR / group).glob("*.yaml"))


def header_comment(path: Path) -> str:
    """The YAML's leading comment block (its own description), as plain text."""
    from harness.tools.catalog import leading_comment

    return "\n".join(leading_comment(path)).strip()


def yaml_comments(group: str, name: str) -> dict[str, str]:
    """Inline ``key: value  # comment`` notes of an option's file and of the same-group files it builds on."""
    out: dict[str, str] = {}
    path = C.CONF_DIR / group / f"{name}.yaml"
    if not path.is_file():
        return out
    text = path.read_text()
    own = set(re.findall(r"^(\w+):", text, re.M))
    for parent in re.findall(r"^  - (\w+)\s*$", text, re.M):  # defaults: [openai, _self_] -> openai.yaml first
        if parent != "_self_":  # a parent's note only where this file does not set the value itself
            out.update({k: v for k, v in yaml_comments(group, parent).items() if k not in own})
    for m in re.finditer(r"^(\w+):[^#\n]*#\s*(.+)$", text, re.M):
        out[m.group(1)] = m.group(2).strip()
    return out


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted keys of a nested container; lists stay values."""
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        if not obj and prefix:
            out[prefix] = {}
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: obj}


def fmt_value(v: Any) -> str:
    if isinstance(v, enum.Enum):
        v = v.value
    if v is None:
        s = "null"
    elif isinstance(v, bool):
        s = "true" if v else "false"
    elif isinstance(v, str):
        s = "???" if v == "???" else (v if v else '""')
    elif isinstance(v, list | tuple):
        s = "[" + ", ".join(fmt_value(x) for x in v) + "]"
    elif isinstance(v, dict):
        s = "{" + ", ".join(f"{k}: {fmt_value(x)}" for k, x in v.items()) + "}"
    else:
        s = repr(v)
    return s


def code(s: str) -> str:
    """Inline code for a Markdown table cell (pipes inside backticks do not split cells)."""
    return f"`{s}`" if s else ""


def cell(text: str) -> str:
    """Plain text for a Markdown table cell: no HTML, no cell breaks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def fmt_type(t: Any) -> str:
    if isinstance(t, str):  # a postponed annotation (``from __future__ import annotations``)
        return t.replace("|", "\\|")
    if t is Any:
        return "any"
    if isinstance(t, type):
        if issubclass(t, enum.Enum):
            return f"{t.__name__}: " + " \\| ".join(m.value for m in t)
        return t.__name__
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        return " \\| ".join("None" if a is type(None) else fmt_type(a) for a in typing.get_args(t))
    return str(t).replace("typing.", "").replace("|", "\\|")


def schema_types(cls: type) -> dict[str, str]:
    """Field -> readable type of a schema dataclass (enum choices spelled out)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an unresolvable hint: fall back to the raw annotation
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return {f.name: fmt_type(hints.get(f.name, f.type)) for f in dataclasses.fields(cls)}


def field_comments(cls: type) -> dict[str, str]:
    """The inline ``# comment`` of each field line in a schema's source (where there is one)."""
    try:
        src = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    out = {}
    for line in src.splitlines():
        m = re.match(r"\s+(\w+):\s*[^=#]+(?:=[^#]*)?#\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def schema_default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        d = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        d = f.default_factory()  # type: ignore[misc]
    else:
        return "required"
    if d is MISSING or d == "???":
        return "required"
    return code(fmt_value(d))


def component_schema(group: str, node: dict[str, Any]) -> type | None:
    """The registered schema (``@component``) whose ``_target_`` the composed node has."""
    target = node.get("_target_")
    for (_g, _name), cls in components(group).items():
        for f in dataclasses.fields(cls):
            if f.name == "_target_" and f.default == target and target is not None:
                return cls
    if group in GROUP_SCHEMAS:
        return GROUP_SCHEMAS[group]
    return None


# ---------------------------------------------------------------------------------------- pages

def compose_node(group: str, name: str) -> dict[str, Any]:
    from harness.compose import compose_sweep

    cfg, _ = compose_sweep([f"{group}={name}"])
    return OmegaConf.to_container(cfg[group], resolve=False, enum_to_str=True)  # type: ignore[return-value]


def field_table(node: dict[str, Any], schema: type | None, yaml_notes: dict[str, str] | None = None) -> list[str]:
    types = schema_types(schema) if schema else {}
    notes = {**(field_comments(schema) if schema else {}), **(yaml_notes or {})}
    rows = ["| field | value | type | note |", "|---|---|---|---|"]
    for key, v in flatten(node).items():
        top = key.split(".")[0]
        typ = types.get(key, "") if "." not in key else ""
        note = notes.get(top, "") if "." not in key else ""
        rows.append(f"| `{key}` | {code(fmt_value(v))} | {typ} | {cell(note)} |")
    return rows


def group_page(group: str) -> str:
    stem, purpose = GROUPS[group]
    lines = [f"# `{group}`", "", purpose, ""]
    if group == "experiment":
        lines += ["Options are the files in `conf/experiment/`; `experiment=<option>` applies one (a bare "
                  "`python -m harness.sweep` applies `toy`; any override leaves it out). Each section lists what the preset changes in the "
                  "composed job config, then the file itself.", ""]
    elif group == "hydra/launcher":
        lines += ["Options are the files in `conf/hydra/launcher/`; pick one with `hydra/launcher=<option>`, "
                  "change a field with `hydra.launcher.<field>=<value>`. `${...}` are interpolations resolved "
                  "at run time (resources come from the chosen `scale`).", ""]
    else:
        lines += [f"Options are the files in `conf/{group}/`; pick one with `{group}=<option>`, change a field "
                  f"with `{group}.<field>=<value>`. Values are the option composed through the root config "
                  "(no preset, nothing else changed); `${...}` are interpolations resolved at run time; "
                  "`???` must be set.", ""]
    for name in options(group):
        path = C.CONF_DIR / group / f"{name}.yaml"
        lines += [f"## `{name}`", ""]
        desc = header_comment(path)
        if desc:
            lines += ["```text", desc, "```", ""]
        if group == "experiment":
            lines += experiment_section(name, path)
        elif group == "hydra/launcher":
            lines += launcher_section(name)
        else:
            node = compose_node(group, name)
            schema = component_schema(group, node)
            if schema is not None and hasattr(schema, "__signature_of__"):
                cls = schema.__signature_of__
                lines += [f"Schema: derived from the signature of `{cls.__module__}.{cls.__qualname__}`.", ""]
            elif schema is not None:
                lines += [f"Schema: `{schema.__module__}.{schema.__qualname__}`.", ""]
            lines += field_table(node, schema, yaml_comments(group, name)) + [""]
    return "\n".join(lines)


def experiment_section(name: str, path: Path) -> list[str]:
    """What the preset changes in the composed config, and its file (sweeper params live in ``hydra``)."""
    from harness.compose import compose_config, compose_sweep, register

    register()
    base, bch = compose_config("config")  # the plain root: no preset
    cfg, ch = compose_sweep([f"experiment={name}"])
    a = flatten(OmegaConf.to_container(base, resolve=False, enum_to_str=True))
    b = flatten(OmegaConf.to_container(cfg, resolve=False, enum_to_str=True))
    rows = ["| key | without the preset | with it |", "|---|---|---|"]
    for k in sorted(set(a) | set(b)):
        if a.get(k, "<absent>") != b.get(k, "<absent>"):
            rows.append(f"| `{k}` | {code(fmt_value(a.get(k, '(absent)')))} | {code(fmt_value(b.get(k, '(absent)')))} |")
    for g in sorted(set(bch) | set(ch)):
        if bch.get(g) != ch.get(g) and g != "experiment":
            rows.append(f"| group `{g}` | `{bch.get(g)}` | `{ch.get(g)}` |")
    out = [f"`python -m harness.sweep experiment={name}`. Changes to the composed job config:", ""]
    out += (rows if len(rows) > 2 else ["(none)"]) + [""]
    out += ["The file (its `hydra:` block sets the run mode and the sweep's parameters):", "",
            "```yaml", path.read_text().rstrip(), "```", ""]
    return out


def launcher_section(name: str) -> list[str]:
    from hydra import compose, initialize_config_dir

    from harness.compose import register

    register()
    with initialize_config_dir(config_dir=str(C.CONF_DIR), version_base=None):
        cfg = compose("config", overrides=[f"hydra/launcher={name}"], return_hydra_config=True)
    node = OmegaConf.to_container(cfg.hydra.launcher, resolve=False, enum_to_str=True)
    return [f"`python -m harness.sweep -m hydra/launcher={name} ...`; fields are `hydra.launcher.<field>`.", "",
            *field_table(node, None, yaml_comments("hydra/launcher", name)), ""]


def schema_page() -> str:
    lines = ["# Root schemas", "",
             "The typed nodes of the root config (`harness.config.Config`), read from the dataclasses in "
             "`harness/config.py` (`data`: `core/config.py`). A key that is not a field, or a value of the wrong type, fails at compose "
             "time, before any job is submitted. Enum-typed fields list their valid values. Defaults here "
             "are the schema's; a group option or an experiment preset may set others (see the group pages).", ""]
    for key, cls in ROOT_SCHEMAS:
        doc = inspect.getdoc(cls) or ""
        if doc.startswith(cls.__name__ + "("):  # dataclass auto-docstring: no prose
            doc = ""
        lines += [f"## `{key}`: `{cls.__name__}`", ""]
        if doc:
            lines += [doc, ""]
        types = schema_types(cls)
        notes = field_comments(cls)
        lines += ["| field | type | default | note |", "|---|---|---|---|"]
        for f in dataclasses.fields(cls):
            lines.append(f"| `{key}.{f.name}` | {types[f.name]} | {schema_default(f)} | {cell(notes.get(f.name, ''))} |")
        lines.append("")
    top = [f for f in dataclasses.fields(S.Config) if f.name in ("seed", "cache_dir")]
    lines += ["## Top-level fields", "", "| field | type | default |", "|---|---|---|"]
    for f in top:
        lines.append(f"| `{f.name}` | {schema_types(S.Config)[f.name]} | {schema_default(f)} |")
    lines.append("")
    return "\n".join(lines)


def index_page() -> str:
    root = OmegaConf.load(C.CONF_DIR / "config.yaml")
    lines = ["# Configuration reference", "",
             "Generated from `conf/`, `harness/config.py` and `core/config.py` at every docs build "
             "(`docs/gen_reference.py`), so it lists what the code composes today.", "",
             "## The main job's defaults list", "",
             "`conf/config.yaml` (the plain root every command composes; a bare `python -m harness.sweep` adds "
             "`experiment=toy`, the main job; an `experiment` preset is applied last and may override groups):", "", "```yaml"]
    lines += [OmegaConf.to_yaml({"defaults": OmegaConf.to_container(root.defaults)}).rstrip(), "```", "",
              "## Groups", "", "| group | options | what it is |", "|---|---|---|"]
    for group, (stem, purpose) in GROUPS.items():
        opts = ", ".join(f"`{o}`" for o in options(group))
        lines.append(f"| [`{group}`]({stem}.md) | {opts} | {purpose} |")
    lines += ["", "Root schema fields with types and defaults (`train`, `eval`, `run`, `report`, ...): "
              "[root schemas](schema.md).", ""]
    return "\n".join(lines)


def benchmark_pages() -> dict[str, str]:
    """Each benchmark folder's README (``evals/benchmarks/<name>/README.md``) as a page, and an index:
    the folder is the one home of what a benchmark measures, its files and its samples' licenses."""
    readmes = sorted((ROOT / "evals" / "benchmarks").glob("*/README.md"))
    out: dict[str, str] = {}
    lines = ["# Benchmarks", "",
             "One folder per benchmark in `evals/benchmarks/<name>/` (code, metrics, lm-eval task, fixture "
             "samples with their source and license). These pages are those folders' READMEs, copied at every "
             "docs build; their options are in the [benchmark config group](../config/benchmark.md).", "",
             "| benchmark | what it measures |", "|---|---|"]
    for readme in readmes:
        name, text = readme.parent.name, readme.read_text()
        out[f"{BENCHMARKS}/{name}.md"] = text
        title = text.splitlines()[0].lstrip("# ").strip()
        measures = re.search(r"\*\*Measures\*\*\s+(.+?)(?:\n\n|$)", text, re.S)
        summary = " ".join(measures.group(1).split()) if measures else ""
        lines.append(f"| [{title}]({name}.md) (`{name}`) | {cell(summary)} |")
    out[f"{BENCHMARKS}/index.md"] = "\n".join([*lines, ""])
    return out


def pages() -> dict[str, str]:
    from harness.tools import provenance

    out = {f"{OUT}/index.md": index_page(), f"{OUT}/schema.md": schema_page()}
    for group, (stem, _) in GROUPS.items():
        out[f"{OUT}/{stem}.md"] = group_page(group)
    out[PROVENANCE_PAGE] = provenance.render()  # conf/experiment/paper.provenance.yml
    out.update(benchmark_pages())
    return out


def main() -> None:
    if "--print" in sys.argv:
        for path, text in pages().items():
            print(f"===== {path}\n{text}")
        return
    import mkdocs_gen_files

    for path, text in pages().items():
        with mkdocs_gen_files.open(path, "w") as fh:
            fh.write(text)
        mkdocs_gen_files.set_edit_path(path, "gen_reference.py")


main()
