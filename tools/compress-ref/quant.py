"""GPTQ (IST-DASLab/gptq gptq.py `fasterquant`), RTN (gptq `--nearest`), AWQ (mit-han-lab/llm-awq
auto_scale.py / auto_clip.py / quantizer.py, group `up_proj -> down_proj`: module2inspect is the
layer itself), NF4 and LLM.int8() (bitsandbytes), re-implemented from compression_refs.md §4-§7.
Each returns (W_result [out, in] float32, extra) where extra holds the grid indices ("codes")."""
import torch

from grid import Quantizer, codes, quantize
from prune import cholesky_inverse_upper


def gptq(W, H, bits=4, group_size=-1, sym=False, act_order=False, static_groups=False,
         blocksize=128, percdamp=0.01):
    W = W.clone().float()
    H = H.clone()
    rows, columns = W.shape
    quantizer = Quantizer(bits, sym=sym)
    quantizer.find_params(W)              # whole W, before dead-column zeroing (used when group -1)
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    groups = []
    if static_groups:
        for i in range(0, columns, group_size):
            g = quantizer.copy()
            g.find_params(W[:, i:(i + group_size)])
            groups.append(g)
    perm = None
    if act_order:
        perm = torch.argsort(torch.diag(H), descending=True)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)
    Q = torch.zeros_like(W)
    C = torch.zeros_like(W)
    # per (row, column) grid, so that the layout's scales/zeros can be compared
    S = torch.zeros_like(W)
    Z = torch.zeros_like(W)
    Hinv = cholesky_inverse_upper(H, percdamp)
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if group_size != -1:
                if not static_groups:
                    if (i1 + i) % group_size == 0:
                        # the OUTER W: only lazily updated (stale inside a block when group < block)
                        quantizer.find_params(W[:, (i1 + i):(i1 + i + group_size)])
                else:
                    idx = i1 + i
                    if act_order:
                        idx = perm[idx]
                    quantizer = groups[idx // group_size]
            q = quantize(w.unsqueeze(1), quantizer.scale, quantizer.zero, quantizer.maxq).flatten()
            C[:, i1 + i] = codes(w.unsqueeze(1), quantizer.scale, quantizer.zero, quantizer.maxq).flatten()
            S[:, i1 + i] = quantizer.scale.flatten()
            Z[:, i1 + i] = quantizer.zero.flatten()
            Q1[:, i] = q
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        Q[:, i1:i2] = Q1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    if act_order:
        Q, C, S, Z = Q[:, invperm], C[:, invperm], S[:, invperm], Z[:, invperm]
    return Q, {"codes": C, "col_scales": S, "col_zeros": Z, "perm": perm}


def rtn(W, bits=4, group_size=-1, sym=False):
    """GPTQ --nearest: the same min-max grid, per output row (group -1), no error feedback.
    group_size > 0 (an extension the reference CLI ignores): one grid per consecutive group."""
    W = W.clone().float()
    Q = torch.zeros_like(W)
    C = torch.zeros_like(W)
    step = W.shape[1] if group_size == -1 else group_size
    for c0 in range(0, W.shape[1], step):
        qz = Quantizer(bits, sym=sym)
        part = W[:, c0:c0 + step]
        qz.find_params(part)
        Q[:, c0:c0 + step] = quantize(part, qz.scale, qz.zero, qz.maxq)
        C[:, c0:c0 + step] = codes(part, qz.scale, qz.zero, qz.maxq)
    return Q, {"codes": C}


# ---- AWQ ---------------------------------------------------------------------------------------

def pseudo_quantize_tensor(w, n_bit=4, q_group_size=128, get_scale_zp=False):
    """llm-awq quantizer.py, zero_point=True: group min/max (not forced to include 0)."""
    org_w_shape = w.shape
    if q_group_size > 0:
        assert org_w_shape[-1] % q_group_size == 0
        w = w.reshape(-1, q_group_size)
    max_val = w.amax(dim=1, keepdim=True)
    min_val = w.amin(dim=1, keepdim=True)
    max_int = 2 ** n_bit - 1
    min_int = 0
    scales = (max_val - min_val).clamp(min=1e-5) / max_int
    zeros = (-torch.round(min_val / scales)).clamp_(min_int, max_int)
    q = torch.clamp(torch.round(w / scales) + zeros, min_int, max_int)
    out = ((q - zeros) * scales).reshape(org_w_shape)
    if get_scale_zp:
        return out, q.reshape(org_w_shape), scales.view(org_w_shape[0], -1), zeros.view(org_w_shape[0], -1)
    return out


def awq_search_scale(W, x, bias, n_bit, group_size):
    """_search_module_scale with module2inspect = the linear itself; returns the best s."""
    def forward(weight):
        out = x.matmul(weight.t())
        return out + bias if bias is not None else out
    org_out = forward(W)
    x_max = x.abs().view(-1, x.shape[-1]).mean(0)
    best_error = float("inf")
    best_ratio = -1
    best_scales = None
    n_grid = 20
    for ratio in range(n_grid):
        ratio = ratio * 1 / n_grid
        scales = x_max.pow(ratio).clamp(min=1e-4).view(-1)
        scales = scales / (scales.max() * scales.min()).sqrt()
        w = W.clone()
        w.mul_(scales.view(1, -1))
        w = pseudo_quantize_tensor(w, n_bit, group_size) / (scales.view(1, -1))
        out = forward(w)
        loss = (org_out - out).float().pow(2).mean().item()
        if loss < best_error:
            best_error = loss
            best_ratio = ratio
            best_scales = scales
    assert best_ratio != -1
    return best_scales.view(-1).detach(), best_ratio


def awq_clip(w, input_feat, n_bit, group_size, n_grid=20, max_shrink=0.5, n_sample_token=512):
    """auto_clip_layer: per (row, group) max_val by symmetric clamp search."""
    gs = group_size if group_size > 0 else w.shape[1]
    input_feat = input_feat.view(-1, input_feat.shape[-1])
    input_feat = input_feat.reshape(1, input_feat.shape[0], -1, gs)
    input_feat = input_feat[:, 0::input_feat.shape[1] // n_sample_token]
    w = w.reshape(w.shape[0], 1, -1, gs)
    oc_batch_size = 256 if w.shape[0] % 256 == 0 else 64
    assert w.shape[0] % oc_batch_size == 0
    w_all = w
    best_all = []
    for i_b in range(w.shape[0] // oc_batch_size):
        w = w_all[i_b * oc_batch_size:(i_b + 1) * oc_batch_size]
        org_max_val = w.abs().amax(dim=-1, keepdim=True)
        best_max_val = org_max_val.clone()
        min_errs = torch.ones_like(org_max_val) * 1e9
        org_out = (input_feat * w).sum(dim=-1)
        for i_s in range(int(max_shrink * n_grid)):
            max_val = org_max_val * (1 - i_s / n_grid)
            min_val = -max_val
            cur_w = torch.clamp(w, min_val, max_val)
            q_w = pseudo_quantize_tensor(cur_w, n_bit, group_size)
            cur_out = (input_feat * q_w).sum(dim=-1)
            err = (cur_out - org_out).pow(2).mean(dim=1).view(min_errs.shape)
            cur_best_idx = err < min_errs
            min_errs[cur_best_idx] = err[cur_best_idx]
            best_max_val[cur_best_idx] = max_val[cur_best_idx]
        best_all.append(best_max_val)
    return torch.cat(best_all, dim=0).squeeze(1)   # [out, n_group, 1]


def awq(W, tokens, bias=None, bits=4, group_size=128, layer_name="layers.0.mlp.down_proj"):
    """run_awq on one linear whose previous op absorbs 1/s: W_eff = Q(clip(W diag(s))) / s."""
    W = W.clone().float()
    x = tokens.float()
    s, ratio = awq_search_scale(W, x, bias, bits, group_size)
    W = W * s.view(1, -1)                      # apply_scale: fc2.weight.mul_(scales)
    x = x / s.view(1, -1)                      # input_feat.div_(scales)
    if not any(k in layer_name for k in ["q_", "k_", "query", "key", "Wqkv"]):
        max_val = awq_clip(W, x, bits, group_size)
        org_shape = W.shape
        Wg = W.reshape(*max_val.shape[:2], -1)
        Wg = torch.clamp(Wg, -max_val, max_val)
        W = Wg.reshape(org_shape)
    Wq, q, scales, zeros = pseudo_quantize_tensor(W, bits, group_size, get_scale_zp=True)
    return Wq / s.view(1, -1), {"codes": q, "scales": scales, "zeros": zeros, "input_scale": s,
                                "ratio": ratio}


# ---- NF4 and LLM.int8() ------------------------------------------------------------------------

NF4 = torch.tensor([
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
    -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
    0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
    0.7229568362236023, 1.0], dtype=torch.float32)


def dynamic_map():
    """bitsandbytes create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)."""
    data = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2 ** i + 1)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-6 + i)) * means).tolist()
        data += (-(10 ** (-6 + i)) * means).tolist()
    data.append(0)
    data.append(1.0)
    assert len(data) == 256
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


def _blockwise_absmax_scaled(a, blocksize):
    n = a.numel()
    blocks = (n + blocksize - 1) // blocksize
    absmax = torch.zeros((blocks,), dtype=torch.float32)
    scaled = torch.zeros_like(a)
    for b in range(blocks):
        part = a[b * blocksize:(b + 1) * blocksize]
        absmax[b] = part.abs().max()
        scaled[b * blocksize:(b + 1) * blocksize] = torch.clamp(part * (1 / absmax[b]), -1, 1)
    return absmax, scaled


def nf4(W, block_size=64, double_quant=False):
    """Blockwise absmax over the row-major flattening; code = nearest NF4 value, a value on a
    midpoint going to the lower code (x > midpoint moves up)."""
    flat = W.float().reshape(-1)
    absmax, scaled = _blockwise_absmax_scaled(flat, block_size)
    midpoints = (NF4[:-1] + NF4[1:]) * 0.5
    q = torch.zeros(flat.shape, dtype=torch.int64)
    for k in range(15):
        q += (scaled > midpoints[k]).long()
    extra = {"codes": q.reshape(W.shape), "absmax_raw": absmax.clone()}
    if double_quant:
        offset = absmax.mean()
        code8 = dynamic_map()
        absmax2, scaled2 = _blockwise_absmax_scaled(absmax - offset, 256)
        q8 = torch.argmin(torch.abs(scaled2.unsqueeze(-1) - code8), dim=-1)
        decoded = torch.zeros_like(absmax)
        for b in range(absmax2.numel()):
            sl = slice(b * 256, (b + 1) * 256)
            decoded[sl] = code8[q8[sl]] * absmax2[b]
        absmax = decoded + offset
        extra.update(absmax_codes=q8, absmax2=absmax2, absmax_offset=offset)
    extra["absmax"] = absmax
    out = NF4[q] * absmax.repeat_interleave(block_size)[:flat.numel()]
    return out.reshape(W.shape), extra


def int8(W, x_abs_max, threshold=6.0):
    """Vector-wise int8 (bitsandbytes int8_vectorwise_quant on the weight: SCB = max|W_row| over
    the whole row, CB = round(W * (127/SCB))); input columns whose calibration max|x| >= threshold
    keep their original float weights (the paper's decomposition), and hold q = 0."""
    W = W.float()
    row_stats = torch.max(W.abs(), dim=1).values.float()
    q = torch.round(W * (127.0 / row_stats.unsqueeze(-1)))
    outlier_cols = torch.argwhere(x_abs_max >= threshold).view(-1) if threshold > 0 else torch.zeros(0, dtype=torch.long)
    q[:, outlier_cols] = 0
    row_scale = row_stats / 127.0
    out = q * row_scale.unsqueeze(-1)
    out[:, outlier_cols] = W[:, outlier_cols]
    return out, {"codes": q, "outlier_cols": outlier_cols, "row_scale": row_scale}
