"""The `udn` executable itself: version and help."""
from conftest import run_udn


def test_version_prints_semver():
    result = run_udn("--version")
    assert result.returncode == 0
    assert result.stdout.strip().count(".") == 2


def test_unknown_subcommand_is_an_error():
    result = run_udn("no-such-role")
    assert result.returncode != 0
    assert "no-such-role" in (result.stdout + result.stderr)
