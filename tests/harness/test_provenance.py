"""Every value of ``experiment=paper`` says where it comes from, and a value marked *sourced* quotes words
that are in the paper's seed pages; the E.1 and E.2 prompts are the seed's text where it shows them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core.config import REPO_ROOT
from evals.judges import prompts
from harness.tools import provenance as P

SEED_DIR = Path(os.environ.get("FOCAL_SEEDS", REPO_ROOT.parent / "shared" / "seeds"))


@pytest.fixture(scope="module")
def seed_text() -> str:
    return "\n".join(P.excerpts().values())


def test_every_value_of_the_paper_preset_has_a_provenance_entry():
    entries = P.load()
    keys = [k for k, _ in P.preset_leaves()]
    assert len(keys) > 40 and "train.max_steps" in keys and "/judge@prior_weights.judge" in keys
    assert [k for k in keys if P.entry_for(k, entries) is None] == []
    assert P.problems() == []


def test_provenance_checks_catch_a_missing_entry_and_a_stale_one(tmp_path):
    preset = tmp_path / "paper.yaml"
    preset.write_text("defaults:\n  - override /data: toy\ntrain:\n  max_steps: 3\n  new_knob: 1\n")
    table = tmp_path / "paper.provenance.yml"
    table.write_text(
        "/data: {status: chosen, reason: small}\ntrain.max_steps: {status: chosen, reason: short}\n"
        "train.gone: {status: chosen, reason: was here}\n"
    )
    bad = P.problems(preset, table)
    assert any("train.new_knob: no provenance entry" in b for b in bad)
    assert any("train.gone: matches no value" in b for b in bad)
    assert not any("max_steps" in b or "/data" in b for b in bad)


def test_a_sourced_value_needs_a_quote_and_a_chosen_one_a_reason(tmp_path):
    table = tmp_path / "t.yml"
    table.write_text("judge.mode: {status: sourced, where: App. E.1}\n")
    with pytest.raises(ValueError, match=r"^t.yml: judge.mode: a sourced value quotes"):
        P.load(table)
    table.write_text("judge.mode: {status: chosen}\n")
    with pytest.raises(ValueError, match="says why"):
        P.load(table)


def test_sourced_quotes_are_in_the_seed_pages(seed_text):
    entries = P.load()
    assert P.unquoted(entries, seed_text) == []
    assert sum(e.status == "sourced" for e in entries) >= 6


def test_a_quote_the_seed_does_not_contain_fails(seed_text):
    made_up = [
        P.Entry(
            "hydra.sweeper.params.scale", "sourced", ["experiments across four model scales"], "abstract"
        ),
        P.Entry("train.max_steps", "sourced", ["we train for 500 steps"], "App. D"),
    ]
    assert [q for _, q in P.unquoted(made_up, seed_text)] == [e.quote[0] for e in made_up]


def test_quotes_match_across_the_seeds_lost_spaces_and_line_breaks(seed_text):
    # the seed renders "For thestatic_prior_weightandfocal_prior_weightreward modes"
    ok = P.Entry(
        "k",
        "sourced",
        [
            "For the static_prior_weight and focal_prior_weight\nreward modes",
            "outperforms the strongest static aggre-\ngation baseline",
        ],
        "E.2",
    )
    assert P.unquoted([ok], seed_text) == []


def test_the_benchmark_names_are_not_claimed_from_the_abstract():
    """The abstract gives the number of benchmarks and scales, not their names: those are chosen."""
    entries = P.load()
    for key in ("/benchmark", "benchmark.suite", "hydra.sweeper.params.scale"):
        assert P.entry_for(key, entries).status == "chosen", key
    text = (P.PRESET).read_text()
    assert "(paper abstract)" not in text and "§" not in text


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason=f"the seed pages are not here ({SEED_DIR}; FOCAL_SEEDS)")
def test_the_excerpts_are_the_seed_pages_words():
    seeds = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEED_DIR.glob("*.txt")))
    passages = P.excerpts()
    assert len(passages) >= 4
    for head, text in passages.items():
        assert text and text in seeds, head


def test_the_preset_composes_to_the_values_the_table_lists(monkeypatch):
    from omegaconf import OmegaConf

    from harness.compose import compose_sweep

    monkeypatch.setenv("FOCAL_DATA", "/data/focal")
    cfg, choices = compose_sweep(["experiment=paper"])
    full = OmegaConf.to_container(cfg, resolve=False, enum_to_str=True)
    for key, value in P.preset_leaves():
        if key.startswith("/"):
            assert choices[key[1:]] == value, key
        elif not key.startswith("hydra."):
            node = full
            for part in key.split("."):
                node = node[part]
            assert node == value or str(node) == str(value), key


def test_the_docs_page_has_a_row_per_value():
    page = P.render()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(list(P.preset_leaves()))
    assert any(
        "`prior_weights.judge.model`" in r and "sourced" in r and "gpt-4o-2024-11-20" in r for r in rows
    )


# ----------------------------------------------------------------------------- the prompts (E.1, E.2)

E1_VISIBLE = [  # every item of E.1 the seed shows, as it shows it
    "true means the rollout fully satisfies the criterion",
    "false means the rollout violates the criterion. Do not output numeric scores for [Hard Rule] criteria.",
    "## [Principle] A [Principle] criterion evaluates graded rollout quality, such as helpfulness, completeness, "
    "reasoning quality, clarity, structure, or depth.",
    "Output an integer score from 0 to 10:",
    "9 to 10 means outstanding",
    "3 to 5 means mediocre",
    "0 to 2 means poor. # Evaluation Procedure",
    "Check whether each rollout violates any [Hard Rule] criteria",
    "Evaluate both rollouts on each [Principle] criterion",
    "Produce a brief item level rationale",
    "Convert the judgments into the required true, false, or numeric scores. # Output Format Return ONLY a JSON "
    'object in the following format: { "rationale": "Brief item level comparison of Rollout A and Rollout B '
    'according to the rubric.", "rollout_A_scores": [true, 8, false, 5], "rollout_B_scores": [true, 6, true, 7] '
    "} Requirements:",
    "The length of each score list must equal {count}",
    "Scores must follow the same order as the rubric",
    "[Hard Rule] positions must be boolean",
    "[Principle] positions must be integers from 0 to 10.",
]
E2_VISIBLE = [
    "[Hard Rule]: binary compliance criteria, such as factuality, safety, format constraints, or explicit requirements",
    "[Principle]: graded quality criteria, such as helpfulness, completeness, reasoning quality, clarity, or depth. "
    "## Instructions",
    "Assign one weight to each criterion according to how relevant and important it is for evaluating the answer "
    "to this specific user question.",
    "Consider both the content of the user question and the role of each criterion in the rubric",
    "The weights should be nonnegative",
    "The sum of all weights should equal 1.0. ## Output Format Return ONLY a JSON object with no explanation: "
    '{"weights": [w1, w2, w3, ...]} Each weight must correspond to the criterion at the same position in the '
    "rubric above.",
]


def _unnumbered(text: str) -> str:
    return re.sub(r"(?m)^\d+\. ", "", text)  # the "1." markers are ours (the seed renders items apart)


@pytest.mark.parametrize(
    ("visible", "prompt"),
    [(E1_VISIBLE, prompts.PAIRWISE_SYSTEM), (E2_VISIBLE, prompts.PRIOR_INSTRUCTIONS)],
    ids=["E.1", "E.2"],
)
def test_the_prompts_carry_every_visible_line_of_the_seed(seed_text, visible, prompt):
    body = P.normalize(_unnumbered(prompt))
    for piece in visible:
        assert P.normalize(piece) in P.normalize(seed_text), piece  # the list above is the seed's
        assert P.normalize(piece) in body, piece


@pytest.mark.parametrize(
    ("lines", "own"),
    [
        (prompts._PAIRWISE_LINES, "2. 6 to 8 means good"),
        (prompts._PRIOR_LINES, "The rubric has two types of criteria:"),
    ],
    ids=["E.1", "E.2"],
)
def test_lines_marked_as_the_papers_are_the_seeds_words(seed_text, lines, own):
    marked = [text for tag, text in lines if tag != "ours" and text.strip()]
    assert len(marked) > 10
    for text in marked:
        assert P.normalize(_unnumbered(text)) in P.normalize(seed_text), text
    ours = [text for tag, text in lines if tag == "ours" and text.strip()]
    assert own in ours  # e.g. E.1's 6-8 band, which the seed does not show, is marked as ours


def test_the_pairwise_prompt_fills_in_the_count_and_round_trips():
    from core.rubric import Criterion, Rubric

    rubric = Rubric(
        criteria=tuple(
            Criterion(text=f"c{i}", kind=k)
            for i, k in enumerate(["hard_rule", "principle", "hard_rule", "principle"])
        )
    )
    msgs = prompts.pairwise_messages("q", rubric, "a", "b")
    assert "1. The length of each score list must equal 4\n" in msgs[0]["content"]
    assert "{count}" not in msgs[0]["content"]
    assert '"type": "[Hard Rule]"' in msgs[1]["content"]
    p = prompts.parse_prompt(msgs)
    assert p["mode"] == "pairwise" and [c.kind for c in p["rubric"].criteria] == list(rubric.kinds)


def test_the_prompt_versions_moved_with_the_text():
    assert prompts.PAIRWISE_VERSION == "pairwise-v3" and prompts.PRIOR_VERSION == "prior-v3"
