#!/usr/bin/python3
"""Quick torch-side evaluation of an exported kickworld model on its evaluation sets, with the kick
task plugins' default prompts and rules (the authoritative scores are those of `kickhost run`).

  evaluate.py --model RUN/model --eval DIR/eval [--limit 200]
"""
import argparse
import csv
import glob
import json
import math
import os
import re
import string
import sys

import sentencepiece as spm
import torch

from model import load_hf


class LM:
    def __init__(self, model_dir):
        self.m = load_hf(model_dir)
        self.sp = spm.SentencePieceProcessor(model_file=f"{model_dir}/tokenizer.model")
        self.ctx = self.m.c["max_position_embeddings"]

    @torch.no_grad()
    def logits(self, ids):
        return self.m(torch.tensor([ids[-self.ctx:]]))[0]

    @torch.no_grad()
    def generate(self, prompt, max_tokens, stop="\n"):
        ids = [self.sp.bos_id()] + self.sp.encode(prompt)
        out = []
        for _ in range(max_tokens):
            nxt = int(self.logits(ids + out)[-1].argmax())
            if nxt == self.sp.eos_id():
                break
            out.append(nxt)
            text = self.sp.decode(out)
            if stop and stop in text:
                return text[:text.index(stop)]
        return self.sp.decode(out)


def nospace(s):
    return "".join(s.lower().split())


def factoid(lm, path, limit):
    qs = json.load(open(path))["Questions"][:limit]
    hits = 0
    for q in qs:
        pred = lm.generate(f"Please give answer to this question: {q['RawQuestion']}\nThe answer is ", 32)
        aliases = q["Parses"][0]["Answers"][0]["AnswersName"]
        hits += any(nospace(a) in nospace(pred) for a in aliases)
    return hits / len(qs)


def mc(lm, mmlu_dir, limit, n_shot=5):
    letters = [lm.sp.piece_to_id("▁" + L) for L in "ABCD"]
    gen_hits = ll_hits = n = 0
    for test in sorted(glob.glob(f"{mmlu_dir}/test/*_test.csv")):
        subject = os.path.basename(test)[:-len("_test.csv")]
        dev = list(csv.reader(open(f"{mmlu_dir}/dev/{subject}_dev.csv")))
        header = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
        fmt = lambda r: r[0] + "\n" + "".join(f"{L}. {o}\n" for L, o in zip("ABCD", r[1:5])) + "Answer:"
        for row in list(csv.reader(open(test)))[:limit]:
            k = n_shot
            while True:
                prompt = header + "".join(fmt(d) + f" {d[5]}\n\n" for d in dev[:k]) + fmt(row)
                ids = [lm.sp.bos_id()] + lm.sp.encode(prompt)
                if len(ids) < lm.ctx or k == 0:
                    break
                k -= 1
            last = lm.logits(ids)[-1]
            gen = lm.sp.decode([int(last.argmax())]).strip()
            gen_hits += gen[-1:] == row[5]
            ll_hits += "ABCD"[int(last[letters].argmax())] == row[5]
            n += 1
    return gen_hits / n, ll_hits / n


def norm_answer(s):
    s = s.lower()
    s = "".join(c for c in s if c not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def retrieval(lm, path, limit, book):
    rows = [json.loads(l) for l in open(path)][:limit]
    hits = 0
    for r in rows:
        if book == "open":
            ev = (r["entity_pages"]["wiki_context"][:1] or [""])[0] + (r["search_results"]["search_context"][:1] or [""])[0]
            prompt = f"{ev[:3072]}\n\nBased on these texts, answer these questions:\n\nQ: {r['question']}\nA:".strip()
        else:
            prompt = f"Answer these questions:\n\nQ: {r['question']}\nA:"
        pred = lm.generate(prompt, 32, stop=None).split("\n")[0].strip()
        hits += norm_answer(pred) in r["answer"]["normalized_aliases"]
    return hits / len(rows)


@torch.no_grad()
def perplexity(lm, path):
    ids = [lm.sp.bos_id()] + lm.sp.encode(open(path).read())
    nll, n = 0.0, 0
    for s in range(0, len(ids) - 1, lm.ctx):
        w = ids[s:s + lm.ctx]
        if len(w) < 2:
            break
        lp = torch.log_softmax(lm.m(torch.tensor([w]))[0], -1)
        nll -= lp[torch.arange(len(w) - 1), torch.tensor(w[1:])].sum().item()
        n += len(w) - 1
    return math.exp(nll / n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--eval", required=True)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lm = LM(a.model)
    e = a.eval
    res = {"factoid_em": factoid(lm, f"{e}/factoid/kickworld-freebaseqa.json", a.limit)}
    res["mc_letter"], res["mc_loglik"] = mc(lm, f"{e}/mmlu", max(1, a.limit // 4))
    res["retrieval_open_em"] = retrieval(lm, f"{e}/retrieval/kickworld-triviaqa.jsonl", a.limit, "open")
    res["retrieval_closed_em"] = retrieval(lm, f"{e}/retrieval/kickworld-triviaqa.jsonl", a.limit, "closed")
    res["ppl_heldout"] = perplexity(lm, f"{e}/perplexity/kickworld-heldout.txt")
    print(json.dumps({k: round(v, 4) for k, v in res.items()}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
