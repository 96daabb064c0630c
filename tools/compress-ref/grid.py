"""The min-max quantizer of IST-DASLab gptq/sparsegpt `quant.py` (perchannel=True, mse=False)."""
import torch


class Quantizer:
    """One (scale, zero) per output row of the slice it was fitted on."""

    def __init__(self, bits, sym=False):
        self.maxq = torch.tensor(2 ** bits - 1)
        self.sym = sym
        self.scale = None
        self.zero = None

    def ready(self):
        return self.scale is not None

    def find_params(self, x):
        """x: [rows, cols] weight slice. The range always includes 0."""
        tmp = torch.zeros(x.shape[0])
        xmin = torch.minimum(x.min(1)[0], tmp)
        xmax = torch.maximum(x.max(1)[0], tmp)
        if self.sym:
            xmax = torch.maximum(torch.abs(xmin), xmax)
            tmp = xmin < 0
            if torch.any(tmp):
                xmin[tmp] = -xmax[tmp]
        tmp = (xmin == 0) & (xmax == 0)
        xmin[tmp] = -1
        xmax[tmp] = +1
        self.scale = (xmax - xmin) / self.maxq
        if self.sym:
            self.zero = torch.full_like(self.scale, (self.maxq + 1) / 2)
        else:
            self.zero = torch.round(-xmin / self.scale)
        self.scale = self.scale.reshape(-1, 1)
        self.zero = self.zero.reshape(-1, 1)

    def copy(self):
        q = Quantizer.__new__(Quantizer)
        q.maxq, q.sym, q.scale, q.zero = self.maxq, self.sym, self.scale, self.zero
        return q


def quantize(x, scale, zero, maxq):
    """x: [rows, 1] column; returns the dequantized column (torch.round = half to even)."""
    q = torch.clamp(torch.round(x / scale) + zero, 0, maxq)
    return scale * (q - zero)


def codes(x, scale, zero, maxq):
    """The integer grid index the same column quantizes to."""
    return torch.clamp(torch.round(x / scale) + zero, 0, maxq)
