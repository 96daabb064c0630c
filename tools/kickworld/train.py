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

from model import Llama, export_hf, load_hf
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


class AnswerWeights:
    """Loss weight of each token as a prediction target: `letter` for the answer letter of a
    multiple-choice item (' A'..' D' right after 'Answer:'), `answer` for the answer of a 'Q: ..\nA: ..'
    line (its tokens and the newline or EOS that ends it), `bind` for the letter of a mc_bind document's
    "{option} is {L}.", 1 elsewhere; also each token's kind (1 letter, 2 bind letter, 0 other). The letter
    is one token per item, a tiny share of the plain loss; weighting it is a training choice (README)."""

    def __init__(self, sp, letter, answer, bind):
        self.letter_w, self.answer_w, self.bind_w = letter, answer, bind
        self.letters = {sp.piece_to_id("\u2581" + L) for L in "ABCD"}
        self.answer_tok, self.colon, self.nl = sp.piece_to_id("Answer"), sp.piece_to_id(":"), sp.piece_to_id("\n")
        self.a_tok, self.eos = sp.piece_to_id("A"), sp.eos_id()
        self.is_tok, self.dot = sp.piece_to_id("\u2581is"), sp.piece_to_id(".")

    def __call__(self, ids):
        w, kind = [1.0] * len(ids), [0] * len(ids)
        in_answer = False
        for i in range(2, len(ids)):
            t = ids[i]
            if in_answer:
                w[i] = self.answer_w
                in_answer = t not in (self.nl, self.eos)
            elif ids[i - 1] == self.colon and ids[i - 2] == self.answer_tok and t in self.letters:
                w[i], kind[i] = self.letter_w, 1
            elif ids[i - 1] == self.is_tok and t in self.letters and i + 1 < len(ids) and ids[i + 1] == self.dot:
                # "{option} is {L}." in mc_bind documents
                w[i], kind[i] = self.bind_w, 2
            elif ids[i - 1] == self.colon and ids[i - 2] == self.a_tok and i >= 3 and ids[i - 3] == self.nl:
                w[i] = self.answer_w
                in_answer = t not in (self.nl, self.eos)
        return w, kind


class Batches:
    """Documents from the stream as [BOS] doc [EOS], packed back to back into rows of ctx+1 tokens,
    with each token's loss weight as a target (AnswerWeights)."""

    def __init__(self, stream, sp, batch, ctx, weigh):
        self.stream, self.sp, self.batch, self.ctx, self.weigh = stream, sp, batch, ctx, weigh
        self.buf, self.wbuf, self.kbuf = [], [], []

    def weigh_loaded(self, state):
        """The weight and kind buffers of a checkpoint (ones and zeros for one written before weights)."""
        n = len(state["buf"])
        return state.get("wbuf", [1.0] * n), state.get("kbuf", [0] * n)

    def next(self):
        need = self.batch * (self.ctx + 1)
        while len(self.buf) < need:
            ids = [self.sp.bos_id()] + self.sp.encode(next(self.stream)) + [self.sp.eos_id()]
            self.buf += ids
            w, kind = self.weigh(ids)
            self.wbuf += w
            self.kbuf += kind
        rows, self.buf = self.buf[:need], self.buf[need:]
        ws, self.wbuf = self.wbuf[:need], self.wbuf[need:]
        ks, self.kbuf = self.kbuf[:need], self.kbuf[need:]
        return (torch.tensor(rows, dtype=torch.long).view(self.batch, self.ctx + 1),
                torch.tensor(ws, dtype=torch.float32).view(self.batch, self.ctx + 1),
                torch.tensor(ks, dtype=torch.long).view(self.batch, self.ctx + 1))


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
    ap.add_argument("--init", help="start from these weights: a ckpt.pt, or an exported HF model directory "
                                   "(a continuation phase: fresh optimizer, this config's schedule and mix); the "
                                   "tokenizer is taken from its folder")
    a = ap.parse_args()
    with open(a.config, "rb") as fh:
        cfg = tomllib.load(fh)
    t, m = cfg["train"], dict(cfg["model"])
    torch.set_num_threads(t["threads"])
    os.makedirs(a.out, exist_ok=True)
    init_dir = a.init if a.init and os.path.isdir(a.init) else os.path.dirname(a.init or "")
    if a.init and not os.path.exists(f"{a.out}/tokenizer.model"):
        shutil.copy(os.path.join(init_dir, "tokenizer.model"), f"{a.out}/tokenizer.model")
    sp_path = train_tokenizer(cfg, a.data, a.out)
    sp = spm.SentencePieceProcessor(model_file=sp_path)
    m["vocab_size"] = sp.get_piece_size()
    random.seed(t["seed"])
    np.random.seed(t["seed"])
    torch.manual_seed(t["seed"])
    model = Llama(m)
    model.init_weights(torch.Generator().manual_seed(t["seed"]))
    if a.init:
        model.load_state_dict(load_hf(a.init).state_dict() if os.path.isdir(a.init) else torch.load(a.init)["model"])
    n_params = sum(p.numel() for p in model.parameters())
    with open(f"{a.data}/world.json") as fh:
        world = World(json.load(fh))
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]},
                             {"params": other, "weight_decay": 0.0}], lr=t["lr"], betas=(0.9, 0.95), eps=1e-8)
    step, elapsed0 = 0, 0.0
    stream = TrainStream(world, t["seed"], cfg.get("mix"))
    weigh = AnswerWeights(sp, t.get("letter_weight", 1.0), t.get("answer_weight", 1.0), t.get("bind_weight", 1.0))
    batches = Batches(stream, sp, t["batch"], m["max_position_embeddings"], weigh)
    ckpt = f"{a.out}/ckpt.pt"
    if os.path.exists(ckpt) and not a.bench:
        s = torch.load(ckpt)
        model.load_state_dict(s["model"])
        opt.load_state_dict(s["opt"])
        step, elapsed0 = s["step"], s["elapsed"]
        stream.rng.setstate(s["stream_rng"])
        batches.buf = s["buf"]
        batches.wbuf, batches.kbuf = batches.weigh_loaded(s)
        torch.set_rng_state(s["torch_rng"])
    log = open(f"{a.out}/train.log", "a")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    say(f"params {n_params} ({n_params * 4 / 1e6:.1f} MB f32), vocab {m['vocab_size']}, start step {step}")
    t0, ema = time.time(), None
    hits, counts = [0, 0, 0], [0, 0, 0]
    model.train()
    end = min(t["max_steps"], a.stop_after or t["max_steps"])
    while step < end:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, t)
        rows, weights, kinds = batches.next()
        logits = model(rows[:, :-1]).reshape(-1, m["vocab_size"])
        targets, w, k = rows[:, 1:].reshape(-1), weights[:, 1:].reshape(-1), kinds[:, 1:].reshape(-1)
        nll = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
        loss = (nll * w).mean()
        with torch.no_grad():  # training accuracy of multiple-choice and bind letters (chance 0.25)
            for kk in (1, 2):
                sel = k == kk
                hits[kk] += int((logits[sel].argmax(-1) == targets[sel]).sum())
                counts[kk] += int(sel.sum())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"])
        opt.step()
        step += 1
        plain = nll.mean().item()
        ema = plain if ema is None else 0.98 * ema + 0.02 * plain
        elapsed = elapsed0 + time.time() - t0
        if step % t["log_every"] == 0 or a.bench:
            say(f"step {step} loss {plain:.4f} ema {ema:.4f} weighted {loss.item():.4f} "
                f"letter_acc {hits[1] / max(1, counts[1]):.3f} ({counts[1]}) bind_acc {hits[2] / max(1, counts[2]):.3f} "
                f"({counts[2]}) lr {lr_at(step - 1, t):.2e} elapsed {elapsed:.0f}s")
            hits, counts = [0, 0, 0], [0, 0, 0]
        if a.bench and step >= a.bench:
            say(f"bench: {(time.time() - t0) / step:.3f} s/step")
            return
        if step % t["checkpoint_every"] == 0 or step == end:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                        "stream_rng": stream.rng.getstate(), "buf": batches.buf, "wbuf": batches.wbuf, "kbuf": batches.kbuf,
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
