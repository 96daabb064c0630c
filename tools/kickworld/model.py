"""A Llama in plain torch (HF layout: rotate-half RoPE on q/k, GQA with repeat_kv, SwiGLU, RMSNorm,
no biases, optional tied embeddings), plus HF-directory export/import with a hand-written safetensors."""
import json
import math
import os
import shutil
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
        self.h, self.kv, self.hd = h, kv, d // h
        self.input_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, h * self.hd, bias=False)
        self.k_proj = nn.Linear(d, kv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, kv * self.hd, bias=False)
        self.o_proj = nn.Linear(h * self.hd, d, bias=False)
        f = c["intermediate_size"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, _ = x.shape
        y = self.input_layernorm(x)
        q = self.q_proj(y).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(y).view(B, T, self.kv, self.hd).transpose(1, 2)
        v = self.v_proj(y).view(B, T, self.kv, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.h // self.kv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + self.o_proj(y)
        y = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = None if c["tie_word_embeddings"] else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        hd = c["hidden_size"] // c["num_attention_heads"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
        ang = torch.outer(torch.arange(c["max_position_embeddings"], dtype=torch.float64), inv)
        ang = torch.cat((ang, ang), dim=-1)
        self.register_buffer("cos", ang.cos().float(), persistent=False)
        self.register_buffer("sin", ang.sin().float(), persistent=False)

    def init_weights(self, gen):
        std = 0.02
        for name, p in self.named_parameters():
            if p.dim() == 2:
                s = std / math.sqrt(2 * self.c["num_hidden_layers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else std
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * s)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.embed_tokens(idx)
        mask = torch.full((T, T), float("-inf")).triu(1)
        cos, sin = self.cos[:T], self.sin[:T]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        x = self.norm(x)
        w = self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        return x @ w.t()


def hf_tensors(model):
    """name -> float32 numpy array, HF LlamaForCausalLM names."""
    out = {"model.embed_tokens.weight": model.embed_tokens.weight}
    for i, L in enumerate(model.layers):
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = L.input_layernorm.weight
        for n in ["q_proj", "k_proj", "v_proj", "o_proj"]:
            out[p + f"self_attn.{n}.weight"] = getattr(L, n).weight
        out[p + "post_attention_layernorm.weight"] = L.post_attention_layernorm.weight
        for n in ["gate_proj", "up_proj", "down_proj"]:
            out[p + f"mlp.{n}.weight"] = getattr(L, n).weight
    out["model.norm.weight"] = model.norm.weight
    if model.lm_head is not None:
        out["lm_head.weight"] = model.lm_head.weight
    return {k: v.detach().float().contiguous().numpy() for k, v in out.items()}


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for a in tensors.values():
            fh.write(a.astype("<f4").tobytes())


def read_safetensors(path):
    with open(path, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
        data = fh.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(meta["shape"])
    return out


def export_hf(model, tokenizer_model, out_dir, bos_id, eos_id):
    tmp = out_dir + ".tmp"
    os.makedirs(tmp, exist_ok=True)
    c = dict(model.c)
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
           "torch_dtype": "float32", "bos_token_id": bos_id, "eos_token_id": eos_id,
           **{k: c[k] for k in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                "num_key_value_heads", "vocab_size", "max_position_embeddings", "rms_norm_eps",
                                "rope_theta", "tie_word_embeddings"]}}
    with open(f"{tmp}/config.json", "w") as fh:
        json.dump(cfg, fh, indent=2)
    write_safetensors(f"{tmp}/model.safetensors", hf_tensors(model))
    shutil.copy(tokenizer_model, f"{tmp}/tokenizer.model")
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.rename(tmp, out_dir)


def load_hf(model_dir):
    with open(f"{model_dir}/config.json") as fh:
        c = json.load(fh)
    c.setdefault("tie_word_embeddings", False)
    model = Llama(c)
    t = read_safetensors(f"{model_dir}/model.safetensors")
    sd = {}
    for k, v in t.items():
        k = k.replace("model.", "", 1) if k.startswith("model.") else k
        k = k.replace("self_attn.", "").replace("mlp.", "")
        sd[k] = torch.from_numpy(v.copy())
    model.load_state_dict(sd, strict=True)
    return model.eval()
