"""Per-layer calibration statistics, accumulated as the reference wrappers do.

SparseGPT/GPTQ `add_batch` (H) and Wanda `WrappedGPT.add_batch` (scaler_row) are fed one
calibration sequence per call; AWQ takes the mean |x| over all cached tokens
(`get_act_scale`); LLM.int8() looks at max |x| per input column. All float32.
"""
import math

import torch


class LayerStats:
    """H [n_in, n_in], scaler_row [n_in], x_abs_mean [n_in], x_abs_max [n_in], tokens [T, n_in]."""

    def __init__(self, H, scaler_row, x_abs_mean, x_abs_max, tokens, n_sequences):
        self.H = H
        self.scaler_row = scaler_row
        self.x_abs_mean = x_abs_mean
        self.x_abs_max = x_abs_max
        self.tokens = tokens
        self.n_sequences = n_sequences


def accumulate(X):
    """X: [n_seq, seq_len, n_in] float32. One add_batch per sequence (tmp = 1)."""
    X = X.float()
    n_in = X.shape[-1]
    H = torch.zeros((n_in, n_in), dtype=torch.float32)
    scaler_row = torch.zeros((n_in,), dtype=torch.float32)
    nsamples_h = 0
    nsamples_w = 0
    for s in range(X.shape[0]):
        inp = X[s:s + 1]                      # [1, seq_len, n_in]: a batch of one sequence
        tmp = inp.shape[0]
        inp = inp.reshape((-1, inp.shape[-1])).t()   # [n_in, tokens]
        # SparseGPT / GPTQ: H *= n/(n+tmp); n += tmp; x = sqrt(2/n) x; H += x x^T
        H *= nsamples_h / (nsamples_h + tmp)
        nsamples_h += tmp
        x = math.sqrt(2 / nsamples_h) * inp.float()
        H += x.matmul(x.t())
        # Wanda: scaler_row *= n/(n+tmp); n += tmp; scaler_row += ||x_j||_2^2 / n
        scaler_row *= nsamples_w / (nsamples_w + tmp)
        nsamples_w += tmp
        scaler_row += torch.norm(inp.type(torch.float32), p=2, dim=1) ** 2 / nsamples_w
    tokens = X.reshape(-1, n_in)
    x_abs_mean = tokens.abs().view(-1, n_in).mean(0)   # AWQ get_act_scale ("x_max")
    x_abs_max = tokens.abs().max(dim=0).values
    return LayerStats(H, scaler_row, x_abs_mean, x_abs_max, tokens, X.shape[0])
