#!/usr/bin/env python3
"""Write kickworld calibration text: documents drawn from the training stream, as JSONL.

Usage: calibration.py --data DIR --out FILE [--n-docs N] [--seed S] [--config CONFIG]

DIR is generate.py's output (world.json). The documents follow the training mix of CONFIG's [mix]
(the model's own pretraining distribution, as C4 is for the references' Llama models), drawn with
a stream seed distinct from training's. FILE ending in .jsonl gets one {"text": ...} object per line;
any other FILE gets plain text, documents separated by blank lines (kickhost's "windows" sampling
reads it as one document, as the references read WikiText-2). Deterministic for a seed.
"""
import argparse
import json
import sys
import tomllib

from stream import TrainStream
from world import World


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--n-docs", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1000)
    p.add_argument("--config", default=None, help="training config whose [mix] to follow (default: the stream's own)")
    a = p.parse_args()
    with open(f"{a.data}/world.json") as fh:
        world = World(json.load(fh))
    mix = None
    if a.config:
        with open(a.config, "rb") as fh:
            mix = tomllib.load(fh).get("mix")
    stream = TrainStream(world, a.seed, mix)
    docs = [next(stream) for _ in range(a.n_docs)]
    with open(a.out, "w") as out:
        if a.out.endswith(".jsonl"):
            out.writelines(json.dumps({"text": d}, ensure_ascii=False) + "\n" for d in docs)
        else:
            out.write("\n\n".join(docs) + "\n")
    print(f"wrote {a.n_docs} documents to {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
