"""Small PyTorch models, pruned with torch's own utilities, for the importer tests.

Imported only by tests that have already done ``pytest.importorskip("torch")``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

BATCH, HW = 2, 16  # CNN input [2, 3, 16, 16]
T, D, HEADS, FF = 8, 32, 4, 64  # transformer input [2, 8, 32]


class Block(nn.Module):
    """ResNet basic block: conv-bn-relu, conv-bn, (1x1 downsample), add, relu."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.down is None else self.down(x)))


class ResNetMini(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.b1 = Block(16, 16, 1)
        self.b2 = Block(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn(self.stem(x)))
        x = self.b2(self.b1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class TransformerBlock(nn.Module):
    """Post-norm encoder block: q/k/v, scores, softmax, context, out proj, add+LN, GELU FFN."""

    def __init__(self) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.ff1, self.act, self.ff2 = nn.Linear(D, FF), nn.GELU(), nn.Linear(FF, D)
        self.scale = float((D // HEADS) ** 0.5)

    def heads(self, t: torch.Tensor) -> torch.Tensor:
        return t.view(BATCH, T, HEADS, D // HEADS).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.heads(self.q(x)), self.heads(self.k(x)), self.heads(self.v(x))
        scores = torch.softmax(q @ k.transpose(-2, -1) / self.scale, dim=-1)
        ctx = (scores @ v).transpose(1, 2).reshape(BATCH, T, D)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.ff2(self.act(self.ff1(x))))


class WithCumsum(nn.Module):
    """A conv, an op hwsim has no model of (cumsum), and a linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.fc = nn.Linear(8 * HW * HW, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(torch.cumsum(self.conv(x), dim=1), 1))


def two_four_mask(rows: int, cols: int) -> torch.Tensor:
    """Keep the first two of every four weights of each row, shifted per row (exact 2:4)."""
    i = torch.arange(cols)[None, :] + torch.arange(rows)[:, None]
    return (i % 4 < 2).float()


def block_mask(rows: int, cols: int, b: int = 4) -> torch.Tensor:
    """b x b blocks kept where (block row + block col) % 4 == 0: 75% block sparse."""
    br, bc = torch.arange(rows)[:, None] // b, torch.arange(cols)[None, :] // b
    return ((br + bc) % 4 == 0).float()


def pruned_resnet() -> ResNetMini:
    """ResNetMini pruned four ways (seeded weights, eval mode so BN uses running stats)."""
    torch.manual_seed(0)
    m = ResNetMini().eval()
    prune.ln_structured(m.b1.conv1, "weight", amount=0.25, n=2, dim=0)  # 4 of 16 filters
    prune.ln_structured(m.b2.conv2, "weight", amount=0.5, n=2, dim=0)  # 16 of 32, into an add
    prune.l1_unstructured(m.b2.conv1, "weight", amount=0.6)  # 2765 of 4608 weights
    prune.custom_from_mask(m.b2.down[0], "weight", two_four_mask(32, 16).view(32, 16, 1, 1))
    prune.custom_from_mask(m.fc, "weight", two_four_mask(10, 32))
    return m


def pruned_transformer() -> TransformerBlock:
    torch.manual_seed(0)
    m = TransformerBlock().eval()
    prune.custom_from_mask(m.q, "weight", two_four_mask(D, D))
    prune.l1_unstructured(m.v, "weight", amount=0.5)
    prune.custom_from_mask(m.o, "weight", block_mask(D, D))
    prune.ln_structured(m.ff1, "weight", amount=0.25, n=2, dim=0)  # 16 of 64 features
    return m


def cnn_input() -> torch.Tensor:
    return torch.randn(BATCH, 3, HW, HW, generator=torch.Generator().manual_seed(1))


def seq_input() -> torch.Tensor:
    return torch.randn(BATCH, T, D, generator=torch.Generator().manual_seed(1))
