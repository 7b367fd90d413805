"""`.ci/apt-install`, which `.ci/run` and `make screenshots` use for Debian's Chromium and colour
emoji font: installed only when missing, only as root with apt-get, a warning otherwise. Run
with stand-ins for `apt-get` and `id` first on PATH, which record what they were asked."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".ci" / "apt-install"
FONT = "fonts-noto-color-emoji"


def _run(
    tmp_path: Path, provides: Path, *, uid: int
) -> tuple[subprocess.CompletedProcess[str], str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    asked = tmp_path / "apt-get.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {asked}\n')
    (bin_dir / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    done = subprocess.run(  # noqa: S603 (our own script)
        [str(SCRIPT), FONT, str(provides), "emoji show as boxes"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done, asked.read_text() if asked.exists() else ""


def test_a_missing_package_is_installed_as_root(tmp_path: Path) -> None:
    done, asked = _run(tmp_path, tmp_path / "missing.ttf", uid=0)
    assert done.returncode == 0
    assert asked.splitlines() == [f"install -y -q {FONT}"]


def test_a_package_already_there_is_left_alone(tmp_path: Path) -> None:
    there = tmp_path / "NotoColorEmoji.ttf"
    there.write_bytes(b"")
    done, asked = _run(tmp_path, there, uid=0)
    assert (done.returncode, asked, done.stdout) == (0, "", "")


def test_without_root_it_warns_and_goes_on(tmp_path: Path) -> None:
    done, asked = _run(tmp_path, tmp_path / "missing.ttf", uid=1000)
    assert done.returncode == 0 and asked == ""
    assert f"{FONT} is missing and cannot be installed here" in done.stderr


@pytest.mark.parametrize("where", [".ci/run", "Makefile"])
def test_ci_and_the_screenshots_install_the_emoji_font(where: str) -> None:
    text = (ROOT / where).read_text(encoding="utf-8")
    assert f".ci/apt-install {FONT} /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf" in text
