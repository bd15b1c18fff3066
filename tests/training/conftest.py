import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def test_config():
    from training.config import PRESETS

    return PRESETS["test"]


@pytest.fixture
def batch():
    import torch

    torch.manual_seed(0)
    src = torch.randint(4, 300, (3, 9))
    src[1, 6:] = 0  # padding
    src[:, -1] = torch.where(src[:, -1] == 0, 0, 3)
    tgt = torch.randint(4, 300, (3, 7))
    return src, tgt
