#!/usr/bin/python3
"""Train the kickworld tokenizer and model (CPU, reproducible from the config's seed).

  train.py --config config.toml --data DIR --out RUN
DIR is generate.py's output (world.json, corpus_sample.txt). RUN receives tokenizer.model, train.log,
ckpt.pt (every checkpoint_every steps; training resumes from it when present) and model/ (an HF
export, refreshed every export_every steps and at the end). The schedule is step-based.
"""
import argparse
import json
import math
import os
import random
import shutil
import time
import tomllib

import numpy as np
import sentencepiece as spm
import torch

from model import Llama, export_hf
from stream import TrainStream
from world import World


def train_tokenizer(cfg, data_dir, out):
    path = f"{out}/tokenizer.model"
    if os.path.exists(path):
        return path
    with open(f"{data_dir}/corpus_sample.txt") as fh:
        docs = [json.loads(line) for line in fh]
    t = cfg["tokenizer"]
    spm.set_random_generator_seed(cfg["train"]["seed"])
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(docs), model_prefix=f"{out}/tokenizer", model_type="bpe", vocab_size=t["vocab_size"],
        character_coverage=1.0, split_digits=t["split_digits"], byte_fallback=True,
        normalization_rule_name="identity", remove_extra_whitespaces=True, user_defined_symbols=["\n"],
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, max_sentence_length=16384,
        seed_sentencepiece_size=1000000, num_threads=1, minloglevel=2)
    return path


class Batches:
    """Documents from the stream as [BOS] doc [EOS], packed back to back into rows of ctx+1 tokens."""

    def __init__(self, stream, sp, batch, ctx):
        self.stream, self.sp, self.batch, self.ctx = stream, sp, batch, ctx
        self.buf = []

    def next(self):
        need = self.batch * (self.ctx + 1)
        while len(self.buf) < need:
            self.buf += [self.sp.bos_id()] + self.sp.encode(next(self.stream)) + [self.sp.eos_id()]
        rows, self.buf = self.buf[:need], self.buf[need:]
        return torch.tensor(rows, dtype=torch.long).view(self.batch, self.ctx + 1)


def lr_at(step, t):
    if step < t["warmup_steps"]:
        return t["lr"] * (step + 1) / t["warmup_steps"]
    frac = (step - t["warmup_steps"]) / max(1, t["max_steps"] - t["warmup_steps"])
    return t["lr"] * (t["min_lr_ratio"] + (1 - t["min_lr_ratio"]) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bench", type=int, default=0, help="only time this many steps")
    ap.add_argument("--stop-after", type=int, default=0,
                    help="end (checkpoint + export) after this step of the config's schedule")
    ap.add_argument("--init", help="start from this ckpt.pt's weights (a continuation phase: fresh optimizer, "
                                   "this config's schedule and mix); the tokenizer is taken from its folder")
    a = ap.parse_args()
    with open(a.config, "rb") as fh:
        cfg = tomllib.load(fh)
    t, m = cfg["train"], dict(cfg["model"])
    torch.set_num_threads(t["threads"])
    os.makedirs(a.out, exist_ok=True)
    if a.init and not os.path.exists(f"{a.out}/tokenizer.model"):
        shutil.copy(os.path.join(os.path.dirname(a.init), "tokenizer.model"), f"{a.out}/tokenizer.model")
    sp_path = train_tokenizer(cfg, a.data, a.out)
    sp = spm.SentencePieceProcessor(model_file=sp_path)
    m["vocab_size"] = sp.get_piece_size()
    random.seed(t["seed"])
    np.random.seed(t["seed"])
    torch.manual_seed(t["seed"])
    model = Llama(m)
    model.init_weights(torch.Generator().manual_seed(t["seed"]))
    if a.init:
        model.load_state_dict(torch.load(a.init)["model"])
    n_params = sum(p.numel() for p in model.parameters())
    with open(f"{a.data}/world.json") as fh:
        world = World(json.load(fh))
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]},
                             {"params": other, "weight_decay": 0.0}], lr=t["lr"], betas=(0.9, 0.95), eps=1e-8)
    step, elapsed0 = 0, 0.0
    stream = TrainStream(world, t["seed"], cfg.get("mix"))
    batches = Batches(stream, sp, t["batch"], m["max_position_embeddings"])
    ckpt = f"{a.out}/ckpt.pt"
    if os.path.exists(ckpt) and not a.bench:
        s = torch.load(ckpt)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, elapsed0 = s["step"], s["elapsed"]
        stream.rng.setstate(s["stream_rng"])
        batches.buf = s["buf"]
        torch.set_rng_state(s["torch_rng"])
    log = open(f"{a.out}/train.log", "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    say(f"params {n_params} ({n_params * 4 / 1e6:.1f} MB f32), vocab {m['vocab_size']}, start step {step}")
    t0, ema = time.time(), None
    model.train()
    end = min(t["max_steps"], a.stop_after or t["max_steps"])
    while step < end:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, t)
        rows = batches.next()
        logits = model(rows[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"])
        opt.step()
        step += 1
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        elapsed = elapsed0 + time.time() - t0
        if step % t["log_every"] == 0 or a.bench:
            say(f"step {step} loss {loss.item():.4f} ema {ema:.4f} lr {lr_at(step - 1, t):.2e} "
                f"elapsed {elapsed:.0f}s")
        if a.bench and step >= a.bench:
            say(f"bench: {(time.time() - t0) / step:.3f} s/step")
            return
        if step % t["checkpoint_every"] == 0 or step == end:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                        "stream_rng": stream.rng.getstate(), "buf": batches.buf,
                        "torch_rng": torch.get_rng_state()}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
        if step % t["export_every"] == 0 or step == end:
            model.eval()
            export_hf(model, sp_path, f"{a.out}/model", sp.bos_id(), sp.eos_id())
            model.train()
            say(f"exported step {step} to {a.out}/model")
    say(f"done: {step} steps, {elapsed0 + time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
