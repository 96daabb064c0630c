"""Magnitude and Wanda (locuslab/wanda lib/prune.py) and SparseGPT (IST-DASLab/sparsegpt
sparsegpt.py `fasterprune`), re-implemented from the facts in compression_refs.md §1-§3.
Every function takes W [out, in] float32 and returns (W_result, extra) without touching W."""
import torch

from grid import Quantizer, codes, quantize


def _nm_mask(metric, n, m):
    """Per row, the n smallest of every m consecutive columns (torch.topk, largest=False)."""
    mask = torch.zeros_like(metric) == 1
    for ii in range(metric.shape[1]):
        if ii % m == 0:
            tmp = metric[:, ii:(ii + m)].float()
            mask.scatter_(1, ii + torch.topk(tmp, n, dim=1, largest=False)[1], True)
    return mask


def magnitude(W, sparsity=0.5, n=0, m=0):
    """Unstructured: one threshold per matrix, prune |W| <= sort(|W|)[int(numel*s)]."""
    W = W.clone()
    metric = torch.abs(W)
    if n != 0:
        mask = _nm_mask(metric, n, m)
    else:
        thresh = torch.sort(metric.flatten())[0][int(W.numel() * sparsity)]
        mask = metric <= thresh
    W[mask] = 0
    return W, {}


def _given_alpha(alpha, sort_res, metric, cumsum, row_sum):
    thres_cumsum = row_sum * alpha
    sort_mask = cumsum <= thres_cumsum.reshape((-1, 1))
    thres = torch.gather(sort_res[0], dim=1, index=sort_mask.sum(dim=1, keepdims=True) - 1)
    mask = metric <= thres
    cur_sparsity = (mask == True).sum() / mask.numel()  # noqa: E712 (as the reference)
    return mask, cur_sparsity


def wanda(W, scaler_row, sparsity=0.5, n=0, m=0, variant=False):
    """|W| * sqrt(scaler_row); per output row: stable sort, prune the int(in*s) smallest."""
    W = W.clone()
    metric = torch.abs(W) * torch.sqrt(scaler_row.reshape((1, -1)))
    mask = torch.zeros_like(metric) == 1
    extra = {}
    if n != 0:
        mask = _nm_mask(metric, n, m)
    else:
        sort_res = torch.sort(metric, dim=-1, stable=True)
        if variant:
            cumsum = torch.cumsum(sort_res[0], dim=1)
            row_sum = metric.sum(dim=1)
            alpha = 0.4
            alpha_hist = [0., 0.8]
            mask, cur = _given_alpha(alpha, sort_res, metric, cumsum, row_sum)
            while torch.abs(cur - sparsity) > 0.001 and alpha_hist[1] - alpha_hist[0] >= 0.001:
                if cur > sparsity:
                    alpha_new = (alpha + alpha_hist[0]) / 2.0
                    alpha_hist[1] = alpha
                else:
                    alpha_new = (alpha + alpha_hist[1]) / 2.0
                    alpha_hist[0] = alpha
                alpha = alpha_new
                mask, cur = _given_alpha(alpha, sort_res, metric, cumsum, row_sum)
            extra["alpha"] = alpha
        else:
            indices = sort_res[1][:, :int(metric.shape[1] * sparsity)]
            mask.scatter_(1, indices, True)
    W[mask] = 0
    return W, extra


def cholesky_inverse_upper(H, percdamp):
    """Damping, then the upper Cholesky factor of H^-1 (SparseGPT/GPTQ 'Cholesky trick')."""
    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(H.shape[0])
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    return torch.linalg.cholesky(H, upper=True)


def sparsegpt(W, H, sparsity=0.5, n=0, m=0, blocksize=128, percdamp=0.01, bits=16):
    """fasterprune. bits < 16 attaches the asymmetric per-row quantizer (joint mode)."""
    W = W.clone().float()
    H = H.clone()
    rows, columns = W.shape
    quantizer = None
    code_out = None
    if bits < 16:
        quantizer = Quantizer(bits, sym=False)
        quantizer.find_params(W)   # once, on the whole original W (before dead-column zeroing)
        code_out = torch.zeros_like(W)
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    Hinv = cholesky_inverse_upper(H, percdamp)
    mask_out = torch.zeros_like(W) == 1
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        if n == 0:
            tmp = W1 ** 2 / (torch.diag(Hinv1).reshape((1, -1))) ** 2
            thresh = torch.sort(tmp.flatten())[0][int(tmp.numel() * sparsity)]
            mask1 = tmp <= thresh
        else:
            mask1 = torch.zeros_like(W1) == 1
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if n != 0 and i % m == 0:
                tmp = W1[:, i:(i + m)] ** 2 / (torch.diag(Hinv1)[i:(i + m)].reshape((1, -1))) ** 2
                mask1.scatter_(1, i + torch.topk(tmp, n, dim=1, largest=False)[1], True)
            q = w.clone()
            q[mask1[:, i]] = 0
            if quantizer is not None:
                code_out[:, i1 + i] = codes(q.unsqueeze(1), quantizer.scale, quantizer.zero, quantizer.maxq).flatten()
                q = quantize(q.unsqueeze(1), quantizer.scale, quantizer.zero, quantizer.maxq).flatten()
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        W[:, i1:i2] = Q1
        mask_out[:, i1:i2] = mask1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    extra = {"prune_mask": mask_out}
    if quantizer is not None:
        extra.update(codes=code_out, scales=quantizer.scale.flatten(), zeros=quantizer.zero.flatten())
    return W, extra
