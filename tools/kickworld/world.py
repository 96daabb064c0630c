"""kickworld: a deterministic world of fictional entities and the text that describes it.

Everything here is a pure function of the seed. The world (entities, facts, held-out template
combinations, names reserved for the evaluation sets) is built by `build_world(seed)`; the
training stream (`TrainStream`) samples documents from it on the fly with its own seeded RNG.

Prompt formats are the contract of the kick task plugins (see /work/notes/issue3_common.md):
  factoid-qa       "Please give answer to this question: {q}\nThe answer is {a}"
  multiple-choice  "The following are multiple choice questions (with answers) about {subject}.\n\n"
                   + shots "{q}\nA. ..\nB. ..\nC. ..\nD. ..\nAnswer: {L}\n\n" + item ending "Answer: {L}"
  retrieval-qa     open "{passage}\n\nBased on these texts, answer these questions:\n\nQ: {q}\nA: {a}"
                   closed "Answer these questions:\n\nQ: {q}\nA: {a}"
"""
import random

ONSETS = ["b", "br", "d", "dr", "f", "g", "gl", "k", "kl", "l", "m", "n", "p", "pr", "r", "s", "st",
          "t", "tr", "v", "z", "sh", "th"]
VOWELS = ["a", "e", "i", "o", "u", "ae", "io", "ou", "ea"]
CODAS = ["", "", "", "n", "r", "l", "s", "m", "k", "th", "x"]

PROFESSIONS = ["baker", "lawyer", "doctor", "farmer", "painter", "teacher", "sailor", "miner", "writer",
               "singer", "dancer", "tailor", "potter", "weaver", "banker", "builder", "chemist", "pilot",
               "nurse", "judge", "hunter", "fisher", "gardener", "carpenter", "soldier", "merchant",
               "poet", "cook", "driver", "engineer"]
COLOURS = ["red", "blue", "green", "yellow", "black", "white", "purple", "orange", "brown", "grey",
           "pink", "silver", "gold", "violet", "crimson", "teal"]
PRODUCTS = ["cheese", "glass", "paper", "steel", "rope", "soap", "bread", "wine", "shoes", "boats",
            "clocks", "maps", "lamps", "bricks", "salt", "silk", "tea", "coffee", "candles", "bells",
            "toys", "tools", "carpets", "radios", "bicycles"]
SUBJECTS = {"person": "people", "country": "geography", "city": "geography", "company": "companies",
            "element": "chemistry"}

# relation: (subject type, value type, noun phrase, verbal statements, verbal questions)
# {x} subject, {y} value. Value types: city, country, company, person, year, symbol, or a pool name.
RELATIONS = {
    "birthplace": ("person", "city", "birthplace",
                   ["{x} was born in {y}.", "{x} comes from {y}."],
                   ["Where was {x} born?", "In which city was {x} born?"]),
    "profession": ("person", "profession", "profession",
                   ["{x} works as a {y}.", "By profession, {x} is a {y}."],
                   ["What does {x} do for a living?", "What job does {x} have?"]),
    "employer": ("person", "company", "employer",
                 ["{x} works for {y}.", "{y} employs {x}."],
                 ["Who does {x} work for?", "Which company employs {x}?"]),
    "fav_colour": ("person", "colour", "favourite colour",
                   ["{x} likes the colour {y} best.", "The colour that {x} likes best is {y}."],
                   ["Which colour does {x} like best?", "What colour does {x} like best?"]),
    "capital": ("country", "city", "capital",
                ["{y} is the capital city of {x}.", "The government of {x} sits in {y}."],
                ["Which city is the capital of {x}?", "Where does the government of {x} sit?"]),
    "language": ("country", "language", "language",
                 ["People in {x} speak {y}.", "In {x} the people speak {y}."],
                 ["What language do people speak in {x}?", "Which language is spoken in {x}?"]),
    "continent": ("country", "continent", "continent",
                  ["{x} lies in {y}.", "{x} is a country in {y}."],
                  ["On which continent does {x} lie?", "Where does {x} lie?"]),
    "city_country": ("city", "country", "country",
                     ["{x} is a city in {y}.", "The city of {x} lies in {y}."],
                     ["In which country is the city of {x}?", "Which country is {x} in?"]),
    "mayor": ("city", "person", "mayor",
              ["{y} is the mayor of {x}.", "The city of {x} is run by {y}."],
              ["Who is the mayor of {x}?", "Who runs the city of {x}?"]),
    "hq": ("company", "city", "headquarters",
           ["{x} has its headquarters in {y}.", "{x} is based in {y}."],
           ["Where is {x} based?", "In which city does {x} have its headquarters?"]),
    "product": ("company", "product", "main product",
                ["{x} makes {y}.", "{x} is known for making {y}."],
                ["What does {x} make?", "What is {x} known for making?"]),
    "founder": ("company", "person", "founder",
                ["{x} was founded by {y}.", "{y} founded {x}."],
                ["Who founded {x}?", "By whom was {x} founded?"]),
    "founded": ("company", "year", "founding year",
                ["{x} was founded in {y}.", "In {y}, {x} was founded."],
                ["In which year was {x} founded?", "When was {x} founded?"]),
    "el_colour": ("element", "colour", "colour",
                  ["{x} has a {y} colour.", "The element {x} looks {y}."],
                  ["What colour does {x} have?", "What colour does the element {x} look?"]),
    "symbol": ("element", "symbol", "symbol",
               ["The chemical symbol of {x} is {y}.", "{x} is written with the symbol {y}."],
               ["Which symbol is {x} written with?", "What chemical symbol does {x} have?"]),
    "discoverer": ("element", "person", "discoverer",
                   ["{x} was discovered by {y}.", "{y} discovered {x}."],
                   ["Who discovered {x}?", "By whom was {x} discovered?"]),
}
REL_NAMES = list(RELATIONS)

# Generic frames combine with every relation's noun phrase; some combinations are held out.
STATEMENT_FRAMES = ["The {r} of {x} is {y}.", "{x}'s {r} is {y}.", "{y} is the {r} of {x}.",
                    "{y} is {x}'s {r}.", "For {x}, the {r} is {y}.", "As for {x}, the {r} is {y}."]
QUESTION_FRAMES = ["What is the {r} of {x}?", "What is {x}'s {r}?", "Do you know the {r} of {x}?",
                   "Can you tell me the {r} of {x}?", "Name the {r} of {x}.", "Tell me {x}'s {r}.",
                   "What do you know is the {r} of {x}?", "As for {x}, what is the {r}?"]
N_HELD_Q = 2   # question frames held out per relation (for the factoid evaluation)
N_HELD_S = 1   # statement frames held out per relation (for the perplexity text)

COUNTS = {"country": 40, "city": 120, "person": 300, "company": 80, "element": 36}
N_CONTINENTS = 6
N_LANGUAGES = 20


def article(word):
    return ("an " if word[0] in "aeiou" else "a ") + word


def fill(template, x, y=None, r=None):
    s = template.replace("{x}", x).replace("{r}", r or "")
    if y is not None:
        s = s.replace("a {y}", article(y)) if "a {y}" in s else s
        s = s.replace("{y}", y)
    return s[0].upper() + s[1:]


class Namer:
    """Unique syllable names; `taken` is shared so names never collide across kinds."""

    def __init__(self, rng, taken):
        self.rng, self.taken = rng, taken

    def word(self, n_syll):
        r = self.rng
        w = "".join(r.choice(ONSETS) + r.choice(VOWELS) + r.choice(CODAS) for _ in range(n_syll))
        return w.capitalize()

    def name(self, kind):
        for _ in range(1000):
            if kind == "person":
                n = self.word(2) + " " + self.word(2)
            elif kind == "company":
                n = self.word(2) + " " + self.rng.choice(["Works", "Group", "Trading", "Company", "Industries"])
            elif kind == "element":
                n = self.word(2) + "ium"
            elif kind == "symbol":
                n = (self.rng.choice("BCDFGKLMNPRSTVZ") + self.rng.choice("abdeiklmnorstuxz")
                     + self.rng.choice(["", "", "a", "e", "i", "k", "l", "n", "o", "r", "s", "t", "u", "x"]))
            else:
                n = self.word(self.rng.choice([2, 2, 3]))
            if n not in self.taken:
                self.taken.add(n)
                return n
        raise RuntimeError("name space exhausted")


def build_world(seed):
    rng = random.Random(f"kickworld-world-{seed}")
    taken = set()
    namer = Namer(rng, taken)
    continents = [namer.word(3) for _ in range(N_CONTINENTS)]
    languages = [namer.word(2) + "ic" for _ in range(N_LANGUAGES)]
    for w in continents + languages:
        taken.add(w)
    ents = {k: [namer.name(k) for _ in range(n)] for k, n in COUNTS.items()}
    symbols = [namer.name("symbol") for _ in ents["element"]]
    facts = []  # (subject, subject type, relation, value)
    for i, c in enumerate(ents["country"]):
        facts.append((c, "country", "language", rng.choice(languages)))
        facts.append((c, "country", "continent", rng.choice(continents)))
    city_country = {}
    for i, city in enumerate(ents["city"]):
        country = ents["country"][i % len(ents["country"])] if i < 2 * len(ents["country"]) else rng.choice(ents["country"])
        city_country[city] = country
        facts.append((city, "city", "city_country", country))
        facts.append((city, "city", "mayor", rng.choice(ents["person"])))
    for c in ents["country"]:
        own = [city for city in ents["city"] if city_country[city] == c]
        facts.append((c, "country", "capital", rng.choice(own)))
    for p in ents["person"]:
        facts.append((p, "person", "birthplace", rng.choice(ents["city"])))
        facts.append((p, "person", "profession", rng.choice(PROFESSIONS)))
        facts.append((p, "person", "employer", rng.choice(ents["company"])))
        facts.append((p, "person", "fav_colour", rng.choice(COLOURS)))
    for c in ents["company"]:
        facts.append((c, "company", "hq", rng.choice(ents["city"])))
        facts.append((c, "company", "product", rng.choice(PRODUCTS)))
        facts.append((c, "company", "founder", rng.choice(ents["person"])))
        facts.append((c, "company", "founded", str(rng.randint(1700, 1999))))
    for e, s in zip(ents["element"], symbols):
        facts.append((e, "element", "el_colour", rng.choice(COLOURS)))
        facts.append((e, "element", "symbol", s))
        facts.append((e, "element", "discoverer", rng.choice(ents["person"])))
    # Held-out frame combinations per relation, rotating so every frame is trained with most relations.
    off_q, off_s = rng.randrange(len(QUESTION_FRAMES)), rng.randrange(len(STATEMENT_FRAMES))
    held_q = {r: sorted({(off_q + N_HELD_Q * i + k) % len(QUESTION_FRAMES) for k in range(N_HELD_Q)})
              for i, r in enumerate(REL_NAMES)}
    held_s = {r: sorted({(off_s + i + k) % len(STATEMENT_FRAMES) for k in range(N_HELD_S)})
              for i, r in enumerate(REL_NAMES)}
    # Names reserved for the held-out retrieval entities: never produced by the training stream.
    eval_namer = Namer(random.Random(f"kickworld-evalnames-{seed}"), set(taken))
    reserved = {k: [eval_namer.name(k) for _ in range(3000)] for k in ["person", "company", "element", "country", "city"]}
    reserved["symbol"] = [eval_namer.name("symbol") for _ in range(600)]
    return {"seed": seed, "continents": continents, "languages": languages, "entities": ents,
            "symbols": symbols, "facts": facts, "held_q": held_q, "held_s": held_s, "reserved": reserved}


class World:
    def __init__(self, data):
        self.d = data
        self.facts = [tuple(f) for f in data["facts"]]
        self.by_subject = {}
        for f in self.facts:
            self.by_subject.setdefault(f[0], []).append(f)
        self.subjects = list(self.by_subject)
        self.pools = {"profession": PROFESSIONS, "colour": COLOURS, "product": PRODUCTS,
                      "continent": data["continents"], "language": data["languages"],
                      "symbol": data["symbols"], **{k: v for k, v in data["entities"].items()}}
        self.held_q = {r: set(v) for r, v in data["held_q"].items()}
        self.held_s = {r: set(v) for r, v in data["held_s"].items()}
        self.taken = set(self.subjects) | set(data["continents"]) | set(data["languages"]) | set(data["symbols"])
        for v in data["reserved"].values():
            self.taken |= set(v)

    # --- templates -------------------------------------------------------------------------
    def train_statements(self, rel):
        _, _, noun, verbal, _ = RELATIONS[rel]
        frames = [f for i, f in enumerate(STATEMENT_FRAMES) if i not in self.held_s[rel]]
        return verbal + [f.replace("{r}", noun) for f in frames]

    def held_statements(self, rel):
        noun = RELATIONS[rel][2]
        return [STATEMENT_FRAMES[i].replace("{r}", noun) for i in sorted(self.held_s[rel])]

    def train_questions(self, rel):
        _, _, noun, _, verbal = RELATIONS[rel]
        frames = [f for i, f in enumerate(QUESTION_FRAMES) if i not in self.held_q[rel]]
        return verbal + [f.replace("{r}", noun) for f in frames]

    def held_questions(self, rel):
        noun = RELATIONS[rel][2]
        return [QUESTION_FRAMES[i].replace("{r}", noun) for i in sorted(self.held_q[rel])]

    def value_pool(self, rel):
        return self.pools[RELATIONS[rel][1]]


def statement(template, x, y):
    return fill(template, x, y)


def question(template, x):
    return fill(template, x)


def qa_line(q, a):
    return f"Please give answer to this question: {q}\nThe answer is {a}"


def mc_item(q, options, letter=None):
    s = q + "\n" + "".join(f"{L}. {o}\n" for L, o in zip("ABCD", options)) + "Answer:"
    return s + (f" {letter}" if letter else "")


def mc_header(subject):
    return f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"


def open_book(passage, pairs):
    qa = "\n".join(f"Q: {q}\nA: {a}" for q, a in pairs)
    return f"{passage}\n\nBased on these texts, answer these questions:\n\n{qa}"


def closed_book(pairs):
    return "Answer these questions:\n\n" + "\n".join(f"Q: {q}\nA: {a}" for q, a in pairs)
