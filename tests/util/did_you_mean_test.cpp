#include <catch2/catch.hpp>

#include "core/util/did_you_mean.h"

TEST_CASE("edit distance counts insertions, deletions, substitutions and transpositions", "[unit]") {
  CHECK(kick::edit_distance("", "") == 0);
  CHECK(kick::edit_distance("abc", "") == 3);
  CHECK(kick::edit_distance("kitten", "sitting") == 3);
  CHECK(kick::edit_distance("rnu", "run") == 1);
  CHECK(kick::edit_distance("backend", "backedn") == 1);
}

TEST_CASE("did_you_mean suggests only close names", "[unit]") {
  const std::vector<std::string> names = {"perplexity", "threads", "output"};
  CHECK(kick::did_you_mean("perplexty", names) == " (did you mean 'perplexity'?)");
  CHECK(kick::did_you_mean("thread", names) == " (did you mean 'threads'?)");
  CHECK(kick::did_you_mean("zzz", names).empty());
  CHECK(kick::did_you_mean("x", std::vector<std::string>{}).empty());
}
