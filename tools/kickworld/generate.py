#!/usr/bin/python3
"""Generate a kickworld world, its evaluation sets (in the real datasets' formats) and a corpus sample.

  generate.py --seed 0 --out OUT
writes OUT/world.json (everything the trainer needs), OUT/corpus_sample.txt (documents from the
training stream, for the tokenizer and for inspection) and OUT/eval/:
  factoid/kickworld-freebaseqa.json   FreebaseQA JSON, world facts asked in HELD-OUT question frames
  mmlu/dev/<subject>_dev.csv, mmlu/test/<subject>_test.csv   Hendrycks MMLU CSV layout
  retrieval/kickworld-triviaqa.jsonl (and .json, a list)     TriviaQA rc rows (HF layout) about
                                      entities reserved for evaluation, never produced in training
  perplexity/kickworld-heldout.txt    held-out statement frames of world facts + fresh general passages
"""
import argparse
import csv
import json
import os
import random
import re
import string
import zlib

from stream import ASKABLE, TrainStream, fresh_entity, mc_doc_item
from world import RELATIONS, SUBJECTS, World, build_world, fill

N_FACTOID = 1000
N_MC_TEST = 100
N_MC_DEV = 5
N_RETRIEVAL = 500
N_PPL_FACTS = 400
N_PPL_GENERAL = 120


def norm_triviaqa(s):
    s = s.lower()
    s = "".join(c for c in s if c not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def factoid(world, rng):
    facts = rng.sample(world.facts, min(N_FACTOID, len(world.facts)))
    questions = []
    for i, (x, _, rel, y) in enumerate(facts):
        q = fill(rng.choice(world.held_questions(rel)), x)
        processed = " ".join(re.sub(r"[^\w\s']", " ", q.lower()).split())
        questions.append({
            "Question-ID": f"KickWorld-{i + 1}", "RawQuestion": q, "ProcessedQuestion": processed,
            "Parses": [{"Parse-Id": f"KickWorld-{i + 1}.P0", "PotentialTopicEntityMention": x.lower(),
                        "TopicEntityName": x.lower(), "TopicEntityMid": f"m.kw{zlib.crc32(x.encode()):08x}",
                        "InferentialChain": f"kickworld.{rel}",
                        "Answers": [{"AnswersMid": f"m.kwv{i}", "AnswersName": [y.lower()]}]}]})
    return {"Dataset": "KickWorld-FreebaseQA-format", "Version": "1.0", "Questions": questions}


def mmlu(world, rng, out):
    by_subject = {}
    for f in world.facts:
        by_subject.setdefault(SUBJECTS[f[1]], []).append(f)
    for subject, facts in sorted(by_subject.items()):
        picks = rng.sample(facts, N_MC_DEV + N_MC_TEST)
        for split, items in (("dev", picks[:N_MC_DEV]), ("test", picks[N_MC_DEV:])):
            os.makedirs(f"{out}/{split}", exist_ok=True)
            with open(f"{out}/{split}/{subject}_{split}.csv", "w", newline="") as fh:
                wr = csv.writer(fh)
                for f in items:
                    q, opts, letter = mc_doc_item(rng, world, f, world.train_questions(f[2]))
                    wr.writerow([q] + opts + [letter])


class ReservedNamer:
    """Hands out the world's reserved evaluation names, never used by the training stream."""

    def __init__(self, world):
        self.left = {k: list(v) for k, v in world.d["reserved"].items()}

    def name(self, kind):
        return self.left[kind].pop()


def retrieval(world, rng):
    namer = ReservedNamer(world)
    rows = []
    for i in range(N_RETRIEVAL):
        kind = rng.choice(["person", "company", "country", "city", "element"])
        while True:
            target = fresh_entity(rng, world, namer, kind, rng.randint(2, 4))
            askable = [f for f in target if f[2] in ASKABLE]
            if askable:
                break
        ents = [target] + [fresh_entity(rng, world, namer, rng.choice([kind, rng.choice(
            ["person", "company", "country", "city", "element"])]), rng.randint(1, 3))
            for _ in range(rng.choice([0, 1, 1, 2]))]
        rng.shuffle(ents)
        sentences = []
        for ef in ents:
            ef = list(ef)
            rng.shuffle(ef)
            sentences += [fill(rng.choice(world.train_statements(f[2])), f[0], f[3]) for f in ef]
        text = " ".join(sentences)
        x, _, rel, y = rng.choice(askable)
        q = fill(rng.choice(world.train_questions(rel)), x)
        rows.append({
            "question": q, "question_id": f"kw_{i:05d}", "question_source": "kickworld",
            "entity_pages": {"doc_source": ["kickworld"], "filename": [f"{x}.txt"], "title": [x],
                             "wiki_context": [text]},
            "search_results": {"description": [], "filename": [], "rank": [], "title": [], "url": [],
                               "search_context": []},
            "answer": {"aliases": [y], "normalized_aliases": [norm_triviaqa(y)], "matched_wiki_entity_name": "",
                       "normalized_matched_wiki_entity_name": "", "normalized_value": norm_triviaqa(y),
                       "type": "WikipediaEntity", "value": y}})
    return rows


def perplexity_text(world, rng, stream_seed):
    lines = []
    facts = rng.sample(world.facts, N_PPL_FACTS)
    for k in range(0, len(facts), 5):
        lines.append(" ".join(fill(rng.choice(world.held_statements(f[2])), f[0], f[3]) for f in facts[k:k + 5]))
    gen = TrainStream(world, f"ppl-{stream_seed}")
    lines += [gen.doc_general() for _ in range(N_PPL_GENERAL)]
    rng.shuffle(lines)
    return "\n\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus-docs", type=int, default=60000, help="documents in corpus_sample.txt")
    a = ap.parse_args()
    data = build_world(a.seed)
    world = World(data)
    os.makedirs(a.out, exist_ok=True)
    with open(f"{a.out}/world.json", "w") as fh:
        json.dump(data, fh)
    ev = f"{a.out}/eval"
    rng = random.Random(f"kickworld-eval-{a.seed}")
    os.makedirs(f"{ev}/factoid", exist_ok=True)
    with open(f"{ev}/factoid/kickworld-freebaseqa.json", "w") as fh:
        json.dump(factoid(world, rng), fh, indent=1)
    mmlu(world, rng, f"{ev}/mmlu")
    rows = retrieval(world, rng)
    os.makedirs(f"{ev}/retrieval", exist_ok=True)
    with open(f"{ev}/retrieval/kickworld-triviaqa.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    with open(f"{ev}/retrieval/kickworld-triviaqa.json", "w") as fh:
        json.dump(rows, fh)
    os.makedirs(f"{ev}/perplexity", exist_ok=True)
    with open(f"{ev}/perplexity/kickworld-heldout.txt", "w") as fh:
        fh.write(perplexity_text(world, rng, a.seed))
    stream = TrainStream(world, f"corpus-{a.seed}")
    with open(f"{a.out}/corpus_sample.txt", "w") as fh:
        for _ in range(a.corpus_docs):
            fh.write(json.dumps(next(stream)) + "\n")
    print(f"world: {len(world.facts)} facts, {len(world.subjects)} subjects; eval sets in {ev}")


if __name__ == "__main__":
    main()
