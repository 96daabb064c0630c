// Plugin manifests: every mistake is an error naming the file and key.
#include <catch2/catch.hpp>

#include "core/registry/plugin_manifest.h"
#include "core/registry/param_schema.h"
#include "support/test_support.h"

namespace {

using kick::test::scratch_dir;
using kick::test::write_file;

const char* k_good = R"(
[plugin]
name = "demo"
kind = "backend"
library = "libkick-backend-demo.so"
api = 5
version = "1.2.3"
description = "a demo"

[backend]
devices = ["cpu"]

[params.threads]
type = "int"
default = 0
min = 0
max = 64
help = "threads"

[params.mode]
type = "string"
default = "fast"
choices = ["fast", "slow"]
help = "mode"
)";

// Writes a manifest (and an empty library file beside it, so the library check passes).
std::filesystem::path write_manifest(const std::string& dir_name, const std::string& text) {
  const auto dir = scratch_dir(dir_name);
  write_file(dir / "libkick-backend-demo.so", "");
  write_file(dir / "demo.toml", text);
  return dir / "demo.toml";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& text) {
  auto m = kick::parse_plugin_manifest(write_manifest("manifest-error", text));
  REQUIRE_FALSE(m.has_value());
  return m.error().message();
}

}  // namespace

TEST_CASE("a valid plugin manifest parses with typed params", "[unit][registry]") {
  auto m = kick::parse_plugin_manifest(write_manifest("manifest-good", k_good));
  REQUIRE(m.has_value());
  CHECK(m->name == "demo");
  CHECK(m->kind == "backend");
  CHECK(m->version == "1.2.3");
  CHECK(m->devices == std::vector<std::string>{"cpu"});
  REQUIRE(m->params.size() == 2);
  const kick::param_spec* threads = m->find_param("threads");
  REQUIRE(threads != nullptr);
  CHECK(threads->type == kick::param_type::integer);
  CHECK(*threads->max == 64.0);
  CHECK(std::get<std::int64_t>(*threads->default_value) == 0);
  CHECK(m->library.filename() == "libkick-backend-demo.so");
}

TEST_CASE("plugin manifest errors name the file and the key", "[unit][registry]") {
  SECTION("unknown key with a suggestion") {
    const std::string e = error_of(replace(k_good, "description =", "descripton ="));
    CHECK_THAT(e, Catch::Contains("demo.toml"));
    CHECK_THAT(e, Catch::Contains("plugin.descripton"));
    CHECK_THAT(e, Catch::Contains("did you mean 'description'"));
  }
  SECTION("wrong type") {
    const std::string e = error_of(replace(k_good, "api = 5", "api = \"one\""));
    CHECK_THAT(e, Catch::Contains("plugin.api"));
    CHECK_THAT(e, Catch::Contains("expected an integer, got string"));
  }
  SECTION("api version mismatch") {
    CHECK_THAT(error_of(replace(k_good, "api = 5", "api = 7")), Catch::Contains("manifest api 7 != host plugin API 5"));
  }
  SECTION("unknown kind") {
    CHECK_THAT(error_of(replace(k_good, "kind = \"backend\"", "kind = \"backnd\"")), Catch::Contains("did you mean 'backend'"));
  }
  SECTION("missing required key") {
    CHECK_THAT(error_of(replace(k_good, "version = \"1.2.3\"", "")), Catch::Contains("plugin.version: required key is missing"));
  }
  SECTION("library named against the convention") {
    CHECK_THAT(error_of(replace(k_good, "libkick-backend-demo.so", "demo.so")), Catch::Contains("libkick-<kind>-<name>.so"));
  }
  SECTION("missing library") {
    const auto dir = scratch_dir("manifest-nolib");
    write_file(dir / "demo.toml", k_good);
    auto m = kick::parse_plugin_manifest(dir / "demo.toml");
    REQUIRE_FALSE(m.has_value());
    CHECK(m.error().code() == kick::status_code::not_found);
    CHECK_THAT(m.error().message(), Catch::Contains("plugin.library") && Catch::Contains("not found"));
  }
  SECTION("default outside the declared range") {
    CHECK_THAT(error_of(replace(k_good, "default = 0", "default = 99")), Catch::Contains("params.threads.default") &&
                                                                            Catch::Contains("outside the allowed range [0, 64]"));
  }
  SECTION("default not among the choices") {
    CHECK_THAT(error_of(replace(k_good, "default = \"fast\"", "default = \"fats\"")), Catch::Contains("did you mean 'fast'"));
  }
  SECTION("unknown param type") {
    CHECK_THAT(error_of(replace(k_good, "type = \"int\"", "type = \"integer\"")), Catch::Contains("params.threads.type"));
  }
  SECTION("kind table of another kind") {
    CHECK_THAT(error_of(replace(k_good, "[backend]", "[method]")), Catch::Contains("[method] does not belong"));
  }
  SECTION("TOML syntax error gives line and column") {
    CHECK_THAT(error_of("[plugin\nname = 1\n"), Catch::Contains("demo.toml:1:") && Catch::Contains("TOML syntax error"));
  }
}

TEST_CASE("parameter values are checked against their spec", "[unit][registry]") {
  auto m = kick::parse_plugin_manifest(write_manifest("manifest-params", k_good));
  REQUIRE(m.has_value());
  SECTION("defaults fill what is not given") {
    auto p = kick::resolve_params(*m, toml::table{}, "run.toml: [backend]", ".");
    REQUIRE(p.has_value());
    CHECK(p->get_int("threads").value() == 0);
    CHECK(p->get_string("mode").value() == "fast");
  }
  SECTION("given values are typed") {
    auto p = kick::resolve_params(*m, toml::table{{"threads", 4}, {"mode", "slow"}}, "run.toml: [backend]", ".");
    REQUIRE(p.has_value());
    CHECK(p->get_int("threads").value() == 4);
    CHECK(p->get_string("mode").value() == "slow");
  }
  SECTION("unknown parameter") {
    auto p = kick::resolve_params(*m, toml::table{{"thread", 4}}, "run.toml: [backend]", ".");
    REQUIRE_FALSE(p.has_value());
    CHECK_THAT(p.error().message(), Catch::Contains("unknown parameter 'thread'") && Catch::Contains("did you mean 'threads'"));
  }
  SECTION("out of range") {
    auto p = kick::resolve_params(*m, toml::table{{"threads", -1}}, "run.toml: [backend]", ".");
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error().code() == kick::status_code::out_of_range);
    CHECK_THAT(p.error().message(), Catch::Contains("threads") && Catch::Contains("-1"));
  }
  SECTION("wrong type") {
    auto p = kick::resolve_params(*m, toml::table{{"threads", 1.5}}, "run.toml: [backend]", ".");
    REQUIRE_FALSE(p.has_value());
    CHECK_THAT(p.error().message(), Catch::Contains("expected an integer"));
  }
}
