"""The catalog blocks in the README and the docs are what conf/ and the registries say today."""

from __future__ import annotations

import re
import shutil

import pytest

from core.config import CONF_DIR, REPO_ROOT
from harness.tools.catalog import BLOCK, COMMAND, GROUPS, PAGES, blocks, differences, main, options, render


def test_catalog_blocks_match_conf_and_the_registries():
    stale = differences()
    assert stale == [], f"{stale}: the catalog drifted from conf/ and the registries; run {COMMAND}"


def test_every_block_is_on_some_page_and_every_page_has_one():
    used = {m.group("name") for page in PAGES for m in BLOCK.finditer((REPO_ROOT / page).read_text())}
    assert used == set(blocks())
    for page in PAGES:
        assert BLOCK.search((REPO_ROOT / page).read_text()), page


def test_every_option_has_its_own_description():
    for group in GROUPS:
        for name, text in options(group):
            assert text and not text.startswith("(no description"), f"conf/{group}/{name}.yaml"


def test_a_new_option_appears_and_a_hand_edit_is_caught(tmp_path):
    conf = tmp_path / "conf"
    shutil.copytree(CONF_DIR, conf)
    (conf / "method" / "softmean.yaml").write_text("# description: a soft mean of the criteria\n_target_: x.Y\n")
    page = "x\n<!-- catalog:method begin (python -m harness.tools.catalog) -->\nstale\n<!-- catalog:method end -->\ny\n"
    out = render(page, conf_dir=conf)
    assert "| `softmean` | a soft mean of the criteria |" in out and "stale" not in out
    assert out.startswith("x\n") and out.endswith("<!-- catalog:method end -->\ny\n")
    assert render(out, conf_dir=conf) == out  # regenerating is a fixed point
    assert "softmean" not in render(page)  # the real conf/ has no such method


def test_check_fails_naming_the_page_and_the_command(tmp_path, monkeypatch, capsys):
    import harness.tools.catalog as catalog

    root = tmp_path / "repo"
    for page in PAGES:
        (root / page).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / page, root / page)
    readme = root / "README.md"
    readme.write_text(re.sub(r"`static_boost`, ", "", readme.read_text(), count=1))  # a hand edit drops one
    monkeypatch.setattr(catalog, "REPO_ROOT", root)
    assert main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "README.md" in err and COMMAND in err
    assert main([]) == 0 and main(["--check"]) == 0  # regenerated
    assert "`static_boost`" in readme.read_text()


def test_an_unknown_block_names_itself():
    with pytest.raises(SystemExit, match="unknown catalog block 'methodz'"):
        render("<!-- catalog:methodz begin -->\n<!-- catalog:methodz end -->\n", "p.md")
