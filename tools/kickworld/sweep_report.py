#!/usr/bin/env python3
"""Markdown tables of a kickworld pruning sweep (manifests/kickworld-sweep.toml).

Usage: sweep_report.py RESULTS_DIR   (the run's output dir, holding comparison.json)

One table per score (rows: method; columns: sparsity 0-70 % and 2:4), each value as measured, plus a
table of every score relative to dense. Labels are "<method>-<percent>" and "<method>-2of4" as in the
manifest; "dense" is the 0 % column of every method.
"""
import json
import sys

SCORES = [
    ("factoid-qa", "exact_match,none", "closed-book factoid QA, exact match"),
    ("multiple-choice", "acc_letter,none", "multiple choice, accuracy by generated letter"),
    ("multiple-choice", "acc,none", "multiple choice, accuracy by log-likelihood"),
    ("retrieval-open", "exact_match,none", "open-book retrieval QA, exact match"),
    ("retrieval-closed", "exact_match,none", "closed-book retrieval QA, exact match"),
    ("perplexity", "ppl,none", "perplexity of held-out text"),
]
METHODS = ["magnitude", "wanda", "sparsegpt"]
COLUMNS = ["0", "10", "20", "30", "40", "50", "60", "70", "2of4"]


def main():
    with open(f"{sys.argv[1]}/comparison.json") as fh:
        variants = {v["label"]: v["results"] for v in json.load(fh)}
    dense = variants["dense"]

    def value(method, col, task, key):
        label = "dense" if col == "0" else f"{method}-{col}"
        r = variants.get(label)
        return None if r is None else r.get(task, {}).get(key)

    header = "| method | " + " | ".join("2:4" if c == "2of4" else c + " %" for c in COLUMNS) + " |"
    rule = "|---|" + "---:|" * len(COLUMNS)
    for task, key, title in SCORES:
        print(f"**{title}** (`{task}` `{key.split(',')[0]}`)\n")
        print(header)
        print(rule)
        for m in METHODS:
            cells = []
            for c in COLUMNS:
                v = value(m, c, task, key)
                cells.append("-" if v is None else (f"{v:.2f}" if key.startswith("ppl") else f"{v:.3f}"))
            print(f"| {m} | " + " | ".join(cells) + " |")
        print()
    print("**Relative to dense** (score / dense score; perplexity: dense / perplexity, so that 1.0 is "
          "unchanged and lower is worse for every row)\n")
    print("| method | score | " + " | ".join("2:4" if c == "2of4" else c + " %" for c in COLUMNS[1:]) + " |")
    print("|---|---|" + "---:|" * (len(COLUMNS) - 1))
    for m in METHODS:
        for task, key, title in SCORES:
            base = dense[task][key]
            cells = []
            for c in COLUMNS[1:]:
                v = value(m, c, task, key)
                if v is None or base == 0:
                    cells.append("-")
                else:
                    cells.append(f"{(base / v if key.startswith('ppl') else v / base):.2f}")
            print(f"| {m} | {task} {key.split(',')[0]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
