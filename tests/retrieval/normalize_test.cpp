// TriviaQA answer normalisation. Expected values are the official script's outputs
// (triviaqa_evaluation.py::normalize_answer run under Python 3), written down by hand here.
#include <catch2/catch.hpp>

#include <string>

#include "text_normalize.h"

using kick::retrieval::normalize_answer;

TEST_CASE("normalisation lower-cases, drops articles and collapses whitespace", "[retrieval][normalize]") {
  CHECK(normalize_answer("The Taming of the Shrew") == "taming of shrew");
  CHECK(normalize_answer("  A  Tale_of_Two   Cities!! ") == "tale of two cities");
  CHECK(normalize_answer("Theatre an Anthem a") == "theatre anthem");  // only whole words are articles
  CHECK(normalize_answer("The") == "");
  CHECK(normalize_answer("") == "");
  CHECK(normalize_answer("a\u00a0an\u2003the\tx") == "x");  // Unicode whitespace separates words
}

TEST_CASE("normalisation turns ASCII punctuation into spaces, before articles are removed", "[retrieval][normalize]") {
  CHECK(normalize_answer("Rock'n'Roll") == "rock n roll");
  CHECK(normalize_answer("U.S.A.") == "u s");  // the 'a' of U.S.A. becomes an article
  CHECK(normalize_answer("Mr. & Mrs. Smith") == "mr mrs smith");
  CHECK(normalize_answer("10,000 B.C.") == "10 000 b c");
  CHECK(normalize_answer("an-an") == "");
  CHECK(normalize_answer("l'an") == "l");
}

TEST_CASE("normalisation removes the script's extra quote characters but not other Unicode punctuation",
          "[retrieval][normalize]") {
  CHECK(normalize_answer("\u2018Tis the Season\u2019") == "tis season");     // ‘ ’
  CHECK(normalize_answer("Don\u00b4t Stop`") == "don t stop");              // ´ `
  CHECK(normalize_answer("Guns N\u2019 Roses") == "guns n roses");
  CHECK(normalize_answer("\u201cthe\u201d Who") == "\u201c \u201d who");    // “ ” are not in the set
  CHECK(normalize_answer("\u00abthe\u00bb Beatles") == "\u00ab \u00bb beatles");  // « » are word boundaries
  CHECK(normalize_answer("caf\u00e9\u2014the end") == "caf\u00e9\u2014 end");
}

TEST_CASE("underscores are spaces, so they separate articles too", "[retrieval][normalize]") {
  CHECK(normalize_answer("the_the") == "");
  CHECK(normalize_answer("Tale_of_Two_Cities") == "tale of two cities");
}

TEST_CASE("normalisation lower-cases beyond ASCII as Python's str.lower does", "[retrieval][normalize]") {
  CHECK(normalize_answer("TH\u00c9\u00c2TRE the") == "th\u00e9\u00e2tre");  // THÉÂTRE
  CHECK(normalize_answer("th\u00e9") == "th\u00e9");                        // é is a word character: no article
  CHECK(normalize_answer("\u00c6ON \u00d8RE") == "\u00e6on \u00f8re");
  CHECK(normalize_answer("\u039f\u0394\u039f\u03a3 \u03a3") == "\u03bf\u03b4\u03bf\u03c2 \u03c3");  // final sigma
  CHECK(normalize_answer("\u0130STANBUL") == "i\u0307stanbul");  // İ lowers to i + combining dot
  CHECK(normalize_answer("\u216b the\u3000\u216b") == "\u217b \u217b");  // Roman numeral Ⅻ
  CHECK(normalize_answer("\u041c\u041e\u0421\u041a\u0412\u0410") == "\u043c\u043e\u0441\u043a\u0432\u0430");
}

TEST_CASE("a combining mark is not a word character, as in Python's re", "[retrieval][normalize]") {
  CHECK(normalize_answer("the\u0301 x") == "\u0301 x");
}

TEST_CASE("ill-formed UTF-8 becomes U+FFFD instead of failing", "[retrieval][normalize]") {
  CHECK(normalize_answer("Par\xc3") == "par\ufffd");          // cut inside a character
  CHECK(normalize_answer("\xe2\x80 x") == "\ufffd x");         // one replacement for the maximal prefix
  CHECK(normalize_answer("\xff\xfe") == "\ufffd\ufffd");
}

TEST_CASE("normalisation is idempotent on its own output", "[retrieval][normalize]") {
  for (const char* s : {"The Taming of the Shrew", "U.S.A.", "\u039f\u0394\u039f\u03a3", "\u0130STANBUL", "caf\u00e9\u2014the end"}) {
    const std::string once = normalize_answer(s);
    CHECK(normalize_answer(once) == once);
  }
}
