"""`udn check`: exit codes and the file:line: what — fix format, on the real binary."""
import pathlib
import re

from conftest import REPO, run_udn

BROKEN = sorted((REPO / "tests/unit/common/data/broken").glob("*.toml"))


def test_demo_config_is_valid():
    result = run_udn("check", REPO / "examples/demo.toml")
    assert result.returncode == 0, result.stderr
    assert "ok — version" in result.stdout


def test_every_broken_fixture_exits_2_with_a_located_message():
    assert len(BROKEN) >= 15
    for path in BROKEN:
        expected_line = re.search(r"^# line: (\d+)$", path.read_text(), re.M).group(1)
        result = run_udn("check", path)
        assert result.returncode == 2, (path, result.stdout, result.stderr)
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"{path}:{expected_line}: "), first
        assert " — " in first, first


def test_several_mistakes_are_all_reported(tmp_path):
    text = (REPO / "tests/unit/common/data/minimal.toml").read_text()
    text = text.replace('name = "p1"', 'name = "p1"\ncolour = "red"').replace('kind = "dynamic"', 'kind = "fast"')
    config = tmp_path / "two.toml"
    config.write_text(text)
    result = run_udn("check", config)
    assert result.returncode == 2
    assert "unknown key 'colour'" in result.stderr
    assert 'kind = "fast" is not a valid choice' in result.stderr
    assert "2 errors" in result.stderr


def test_garbage_and_missing_files_never_crash(tmp_path):
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(bytes(range(256)) * 4)
    assert run_udn("check", garbage).returncode == 2
    missing = run_udn("check", tmp_path / "missing.toml")
    assert missing.returncode == 2
    assert "cannot open the file" in missing.stderr


def test_schema_reference_is_printed():
    result = run_udn("check", "--schema")
    assert result.returncode == 0
    assert "| `report_key` |" in result.stdout
