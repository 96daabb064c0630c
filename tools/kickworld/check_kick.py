#!/usr/bin/python3
"""Check that kick reads an exported kickworld model exactly as torch does: same token ids, same
greedy continuations, same perplexity (which compares the full next-token distributions).

  check_kick.py --kickhost build/bin/kickhost --model RUN/model --eval DIR/eval
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import torch

from evaluate import LM

PROMPTS = [
    "Please give answer to this question: {q}\nThe answer is ",
    "The following are multiple choice questions (with answers) about chemistry.\n\n{q}\nA. red\nB. blue\nC. green\nD. gold\nAnswer:",
    "Answer these questions:\n\nQ: {q}\nA:",
]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    return r.stdout


@torch.no_grad()
def torch_ppl(lm, text, seqlen):
    ids = [lm.sp.bos_id()] + lm.sp.encode(text)
    n_windows = len(ids) // seqlen
    nll, n = 0.0, 0
    for w in range(n_windows):
        win = ids[w * seqlen:(w + 1) * seqlen]
        lp = torch.log_softmax(lm.m(torch.tensor([win]))[0].double(), -1)
        nll -= lp[torch.arange(seqlen - 1), torch.tensor(win[1:])].sum().item()
        n += seqlen - 1
    return math.exp(nll / n), n_windows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kickhost", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--eval", required=True)
    a = ap.parse_args()
    lm = LM(a.model)
    qs = json.load(open(f"{a.eval}/factoid/kickworld-freebaseqa.json"))["Questions"][:4]
    bad = 0
    for q in qs:
        for p in PROMPTS:
            prompt = p.format(q=q["RawQuestion"])
            kick_ids = [int(x) for x in run([a.kickhost, "tokenize", "--model", a.model, "--text", prompt, "--bos"]).split()]
            ids = [lm.sp.bos_id()] + lm.sp.encode(prompt)
            kick_out = run([a.kickhost, "generate", "--model", a.model, "--prompt", prompt, "--max-tokens", "8"])
            ours = lm.generate(prompt, 8, stop=None)
            same = kick_ids == ids and kick_out.strip() == ours.strip()
            bad += not same
            print(f"{'OK ' if same else 'BAD'} ids {'==' if kick_ids == ids else '!='} | kick {kick_out.strip()!r} | torch {ours.strip()!r}")
    text = open(f"{a.eval}/perplexity/kickworld-heldout.txt").read()[:20000]
    with tempfile.TemporaryDirectory() as d:
        with open(f"{d}/text.txt", "w") as fh:
            fh.write(text)
        with open(f"{d}/m.toml", "w") as fh:
            fh.write(f'seed = 0\n[model]\npath = "{os.path.abspath(a.model)}"\n[backend]\nname = "cpu"\n'
                     f'[[task]]\nname = "perplexity"\ndataset = "{d}/text.txt"\nseqlen = 256\n[output]\ndir = "{d}/out"\n')
        run([a.kickhost, "run", f"{d}/m.toml"])
        res = json.load(open(f"{d}/out/results.json"))["results"]["perplexity"]
    kick_ppl = next(v for k, v in res.items() if k.startswith(("perplexity", "word_perplexity", "ppl")) and "stderr" not in k)
    ours, n_windows = torch_ppl(lm, text, 256)
    rel = abs(kick_ppl - ours) / ours
    print(f"perplexity over {n_windows} windows: kick {kick_ppl:.6f} torch {ours:.6f} (relative difference {rel:.2e})")
    print(json.dumps(res))
    ok = bad == 0 and rel < 1e-4
    print("AGREE" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
