"""The README's Python code blocks run as written, so the documentation stays true."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, tmp_path, monkeypatch):
    import torch

    torch.set_num_threads(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    # Blocks build on each other (the training script's checkpoint is used by the
    # gym.make snippet), so each test runs the blocks before it first.
    for code in BLOCKS[: index + 1]:
        exec(compile(code, f"README.md python block {index}", "exec"), namespace)
