"""The import contracts in pyproject.toml hold, and a change that breaks a layer breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-logo", "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_every_import_contract_is_kept():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_the_directory_importing_activity_breaks_the_layers(tmp_path):
    for package in ("enterprise", "scim", "plandisc"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    services = tmp_path / "enterprise" / "directory" / "services.py"
    services.write_text(
        services.read_text() + "\nfrom enterprise.activity.models import AuditEvent  # noqa\n"
    )

    result = lint_imports(tmp_path)

    assert result.returncode == 1
    assert "The rooms are layered" in result.stdout
    assert "enterprise.directory.services -> enterprise.activity.models" in result.stdout
