"""Seeded, infinite stream of kickworld training documents (plain strings, no BOS/EOS)."""
import random

from world import (RELATIONS, SUBJECTS, Namer, closed_book, fill, mc_header, mc_item,
                   open_book, qa_line)

# Relations of fresh (never-in-the-world) entities and where their values come from.
FRESH_RELATIONS = {
    "person": ["birthplace", "profession", "employer", "fav_colour"],
    "company": ["hq", "product", "founder", "founded"],
    "country": ["capital", "language", "continent"],
    "city": ["city_country", "mayor"],
    "element": ["el_colour", "symbol", "discoverer"],
}
# Only short, copyable answers are asked about in reading documents (no years, no fresh person names).
ASKABLE = {"birthplace", "profession", "employer", "fav_colour", "hq", "product", "capital", "language",
           "continent", "city_country", "el_colour", "symbol"}
EASY_TYPES = ["city", "country", "company", "person", "year", "symbol", "profession", "colour", "product",
              "continent", "language"]
ECHO_QUESTIONS = ["Which option is {y}?", "Which of these is {y}?", "Pick the option {y}.", "Where is {y} in this list?"]
DEFAULT_MIX = {"bio": 0.25, "qa": 0.27, "mc": 0.13, "icl": 0.27, "closed": 0.04, "general": 0.04}


class FreshNamer:
    """Names that are neither world entities nor reserved evaluation names (repeats allowed)."""

    def __init__(self, rng, world, extra_taken=()):
        self.namer = Namer(rng, set())
        self.blocked = world.taken | set(extra_taken)

    def name(self, kind):
        for _ in range(1000):
            n = self.namer.name(kind)
            self.namer.taken.discard(n)
            if n not in self.blocked:
                return n
        raise RuntimeError("no fresh name")


def fresh_value(rng, world, namer, rel):
    vt = RELATIONS[rel][1]
    if rel == "capital":
        return namer.name("city")  # 2-3 syllables, like the evaluation's reserved city names
    if vt == "person":
        return namer.name("person")
    if vt == "year":
        return str(rng.randint(1700, 1999))
    if vt == "symbol":
        return namer.name("symbol")
    return rng.choice(world.pools[vt])


def fresh_entity(rng, world, namer, kind, n_facts):
    x = namer.name(kind)
    rels = rng.sample(FRESH_RELATIONS[kind], min(n_facts, len(FRESH_RELATIONS[kind])))
    return [(x, kind, r, fresh_value(rng, world, namer, r)) for r in rels]


def passage(rng, world, namer):
    """Sentences about 1-4 fresh entities (a first one with 1-4 facts, then 0-3 more with 1-3 facts:
    the retrieval evaluation's passages have 2-10 sentences); returns (text, facts)."""
    kind = rng.choice(list(FRESH_RELATIONS))
    ents = [fresh_entity(rng, world, namer, kind, rng.randint(1, 4))]
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
        k = kind if rng.random() < 0.5 else rng.choice(list(FRESH_RELATIONS))
        ents.append(fresh_entity(rng, world, namer, k, rng.randint(1, 3)))
    rng.shuffle(ents)
    facts, sentences = [], []
    for ef in ents:
        rng.shuffle(ef)
        sentences += [fill(rng.choice(world.train_statements(f[2])), f[0], f[3]) for f in ef]
        facts += ef
    return " ".join(sentences), facts


def mc_doc_item(rng, world, fact, questions, easy=False):
    """An MMLU-style item; distractors of the answer's own type, or (easy) of other types, which
    teaches the letter mechanism without needing the fact."""
    x, _, rel, y = fact
    pool = world.value_pool(rel) if RELATIONS[rel][1] != "year" else None
    opts = [y]  # a list, not a set: set order follows Python's per-process string hashing
    while len(opts) < 4:
        if easy:
            other = rng.choice([t for t in EASY_TYPES if t != RELATIONS[rel][1]])
            o = str(rng.randint(1700, 1999)) if other == "year" else rng.choice(world.pools[other])
        else:
            o = rng.choice(pool) if pool else str(rng.randint(1700, 1999))
        if o not in opts:
            opts.append(o)
    rng.shuffle(opts)
    letter = "ABCD"[opts.index(y)]
    return fill(rng.choice(questions), x), opts, letter


class TrainStream:
    def __init__(self, world, seed, mix=None):
        self.w = world
        self.rng = random.Random(f"kickworld-stream-{seed}")
        self.namer = FreshNamer(self.rng, world)
        mix = mix or DEFAULT_MIX
        self.kinds, self.weights = list(mix), list(mix.values())
        self.by_subject_type = {}
        for f in world.facts:
            self.by_subject_type.setdefault(SUBJECTS[f[1]], []).append(f)

    def __iter__(self):
        return self

    def __next__(self):
        kind = self.rng.choices(self.kinds, self.weights)[0]
        return getattr(self, "doc_" + kind)()

    def doc_bio(self):
        r, w = self.rng, self.w
        facts = list(w.by_subject[r.choice(w.subjects)])
        r.shuffle(facts)
        return " ".join(fill(r.choice(w.train_statements(f[2])), f[0], f[3]) for f in facts)

    def doc_qa(self):
        r, w = self.rng, self.w
        x, _, rel, y = r.choice(w.facts)
        return qa_line(fill(r.choice(w.train_questions(rel)), x), y)

    def doc_mc_easy(self):
        return self.doc_mc(easy=True)

    def doc_mc_echo(self):
        """MC documents where half the items name their answer ("Which option is {y}?"): they teach
        the lookup from a known value to its option letter in the task's own format."""
        return self.doc_mc(echo=True)

    def doc_mc(self, easy=False, echo=False):
        r, w = self.rng, self.w
        subject = r.choice(sorted(self.by_subject_type))
        facts = self.by_subject_type[subject]
        n_shots = r.choice([1, 2, 3, 4, 5, 5, 5])  # the task defaults to 5 shots; every item's letter is trained
        parts = [mc_header(subject)]
        for i in range(n_shots + 1):
            f = r.choice(facts)
            q, opts, letter = mc_doc_item(r, w, f, w.train_questions(f[2]), easy and r.random() < 0.5)
            if echo and r.random() < 0.5:
                q = r.choice(ECHO_QUESTIONS).replace("{y}", f[3])
            parts.append(mc_item(q, opts, letter) + ("\n\n" if i < n_shots else ""))
        return "".join(parts)

    def doc_mc_bind(self):
        """Two option lists in the multiple-choice layout, each followed by all four options named with
        their letters in random order ("{o} is {L}."): the content-to-letter binding that answering by
        letter needs, with the content right before its letter (an auxiliary document, not a task prompt)."""
        r, w = self.rng, self.w
        parts = []
        for _ in range(2):
            f = r.choice(w.facts)
            _, opts, _ = mc_doc_item(r, w, f, w.train_questions(f[2]), r.random() < 0.5)
            order = list(range(4))
            r.shuffle(order)
            parts.append("".join(f"{L}. {o}\n" for L, o in zip("ABCD", opts))
                         + " ".join(f"{opts[i]} is {'ABCD'[i]}." for i in order))
        return "\n\n".join(parts)

    def doc_icl(self):
        r, w = self.rng, self.w
        text, facts = passage(r, w, self.namer)
        askable = [f for f in facts if f[2] in ASKABLE]
        if not askable:
            return text
        picks = r.sample(askable, min(len(askable), r.choice([1, 1, 2, 3, 4])))
        pairs = [(fill(r.choice(w.train_questions(f[2])), f[0]), f[3]) for f in picks]
        return open_book(text, pairs)

    def doc_closed(self):
        r, w = self.rng, self.w
        facts = [r.choice(w.facts) for _ in range(r.choice([1, 2]))]
        return closed_book([(fill(r.choice(w.train_questions(f[2])), f[0]), f[3]) for f in facts])

    def doc_general(self):
        return passage(self.rng, self.w, self.namer)[0]

