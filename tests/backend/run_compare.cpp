#include "backend/run_compare.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "support/test_support.h"

namespace kick::test {

std::string kickworld_manifest(const std::string& backend_table) {
  const std::string data = (source_dir() / "data/kickworld").string();
  return "description = \"backend equality\"\nseed = 0\n[model]\npath = \"" + data + "/model\"\n[backend]\n" + backend_table +
         "\n"
         "[[compress]]\nmethod = \"none\"\n"
         "[[compress]]\nmethod = \"magnitude\"\nlabel = \"mag-2of4\"\nsparsity = 0.5\npattern = \"2:4\"\n"
         "[[compress]]\nmethod = \"rtn\"\nlabel = \"rtn-int4\"\nbits = 4\ngroup_size = 64\n"
         "[[task]]\nname = \"perplexity\"\ndataset = \"" + data + "/eval/perplexity/kickworld-heldout.txt\"\nseqlen = 128\nlimit = 3\n"
         "[[task]]\nname = \"factoid-qa\"\ndataset = \"" + data + "/eval/factoid/kickworld-freebaseqa.json\"\nlimit = 12\n"
         "[[task]]\nname = \"multiple-choice\"\ndataset = \"" + data + "/eval/mmlu\"\nlimit = 3\n"
         "[[task]]\nname = \"retrieval-qa\"\nalias = \"retrieval-open\"\ndataset = \"" + data +
         "/eval/retrieval/kickworld-triviaqa.jsonl\"\nbook = \"open\"\nlimit = 8\n";
}

const std::vector<std::string>& kickworld_variants() {
  static const std::vector<std::string> v = {"dense", "mag-2of4", "rtn-int4"};
  return v;
}

const std::vector<std::string>& kickworld_tasks() {
  static const std::vector<std::string> t = {"perplexity", "factoid-qa", "multiple-choice", "retrieval-open"};
  return t;
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

void check_same_json(const nlohmann::json& got, const nlohmann::json& want, const std::string& where, double rel_tolerance) {
  INFO(where);
  if (want.is_number_float() || (want.is_number() && got.is_number_float())) {
    REQUIRE(got.is_number());
    const double a = got.get<double>(), b = want.get<double>();
    CHECK(std::fabs(a - b) <= rel_tolerance * std::max(1.0, std::fabs(b)));
  } else if (want.is_object()) {
    REQUIRE(got.is_object());
    for (auto it = want.begin(); it != want.end(); ++it) {
      REQUIRE(got.contains(it.key()));
      check_same_json(got[it.key()], it.value(), where + "." + it.key(), rel_tolerance);
    }
  } else if (want.is_array()) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) check_same_json(got[i], want[i], where + "[" + std::to_string(i) + "]", rel_tolerance);
  } else {
    CHECK(got == want);
  }
}

void check_same_runs(const std::filesystem::path& got_dir, const std::filesystem::path& want_dir, double rel_tolerance) {
  for (const std::string& variant : kickworld_variants()) {
    const auto want = nlohmann::json::parse(read_file(want_dir / variant / "results.json"));
    const auto got = nlohmann::json::parse(read_file(got_dir / variant / "results.json"));
    check_same_json(got["results"], want["results"], variant + " results", rel_tolerance);
    for (const std::string& task : kickworld_tasks()) {
      const std::string file = "samples_" + task + ".jsonl";
      const auto want_rows = read_jsonl(want_dir / variant / file);
      const auto got_rows = read_jsonl(got_dir / variant / file);
      REQUIRE(!want_rows.empty());
      REQUIRE(got_rows.size() == want_rows.size());
      for (std::size_t i = 0; i < want_rows.size(); ++i) {
        check_same_json(got_rows[i], want_rows[i], variant + " " + file + " row " + std::to_string(i), rel_tolerance);
      }
    }
  }
}

}  // namespace kick::test
