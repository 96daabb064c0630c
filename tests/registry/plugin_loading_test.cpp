// Loading plugin libraries: the real plugins load; broken ones are refused with one clear line.
#include <catch2/catch.hpp>

#include "core/registry/plugin_instance.h"
#include "core/registry/plugin_registry.h"
#include "core/run/console_host.h"
#include "support/test_support.h"

namespace {

using kick::test::fake_plugin_dir;
using kick::test::scratch_dir;
using kick::test::write_file;

std::string manifest_text(const std::string& name, const std::string& version = "0.1.0") {
  return "[plugin]\nname = \"" + name + "\"\nkind = \"backend\"\nlibrary = \"libkick-backend-" + name +
         ".so\"\napi = 5\nversion = \"" + version + "\"\ndescription = \"test double\"\n";
}

// A plugin directory holding one fake library (copied under `file_name`) and its manifest.
kick::plugin_manifest stage(const std::string& dir_name, const std::string& variant, const std::string& name,
                            const std::string& version = "0.1.0") {
  const auto dir = scratch_dir(dir_name);
  std::filesystem::copy_file(fake_plugin_dir() / ("libkick-backend-" + variant + ".so"),
                             dir / ("libkick-backend-" + name + ".so"));
  write_file(dir / (name + ".toml"), manifest_text(name, version));
  auto m = kick::parse_plugin_manifest(dir / (name + ".toml"));
  REQUIRE(m.has_value());
  return *m;
}

std::string load_error(const kick::plugin_manifest& m) {
  auto lib = kick::open_checked_library(m);
  REQUIRE_FALSE(lib.has_value());
  return lib.error().message();
}

}  // namespace

TEST_CASE("the built plugins load and match their manifests", "[plugin][registry]") {
  kick::registry_options options;
  options.plugin_dirs = {kick::test::plugin_dir()};
  options.use_environment = false;
  options.use_default_dirs = false;
  const auto registry = kick::plugin_registry::discover(options);
  CHECK(registry.errors().empty());
  auto perplexity = registry.find("task", "perplexity");
  REQUIRE(perplexity.has_value());
  auto lib = kick::open_checked_library(**perplexity);
  REQUIRE(lib.has_value());
  CHECK(std::string(lib->info->build_id) == KICK_BUILD_ID);
}

TEST_CASE("broken plugin libraries are refused with the path and both values", "[plugin][registry]") {
  SECTION("no entry symbol") {
    const auto e = load_error(stage("load-noentry", "noentry", "noentry"));
    CHECK_THAT(e, Catch::Contains("libkick-backend-noentry.so") && Catch::Contains("does not export 'kick_plugin_entry'"));
  }
  SECTION("ABI version mismatch") {
    const auto e = load_error(stage("load-abi", "abimismatch", "abimismatch"));
    CHECK_THAT(e, Catch::Contains("plugin ABI version " + std::to_string(KICK_ABI_VERSION + 98) + " != host ABI version " +
                                  std::to_string(KICK_ABI_VERSION)) &&
                      Catch::Contains("libkick-backend-abimismatch.so"));
  }
  SECTION("build id mismatch") {
    const auto e = load_error(stage("load-buildid", "buildid", "buildid"));
    CHECK_THAT(e, Catch::Contains("'other-compiler;other-stdlib'") && Catch::Contains(KICK_BUILD_ID));
  }
  SECTION("version differs from the manifest") {
    const auto e = load_error(stage("load-version", "throwing", "throwing", "9.9.9"));
    CHECK_THAT(e, Catch::Contains("plugin version '0.1.0' != manifest version '9.9.9'"));
  }
  SECTION("library file named for another plugin") {
    const auto e = load_error(stage("load-renamed", "throwing", "renamed"));
    CHECK_THAT(e, Catch::Contains("file name 'libkick-backend-renamed.so' != 'libkick-backend-throwing.so'"));
  }
  SECTION("not a shared library") {
    const auto dir = scratch_dir("load-garbage");
    write_file(dir / "libkick-backend-garbage.so", "this is not an ELF file");
    write_file(dir / "garbage.toml", manifest_text("garbage"));
    auto m = kick::parse_plugin_manifest(dir / "garbage.toml");
    REQUIRE(m.has_value());
    CHECK_THAT(load_error(*m), Catch::Contains("cannot load plugin library") && Catch::Contains("libkick-backend-garbage.so"));
  }
}

TEST_CASE("an exception inside a plugin becomes an internal error, not a crash", "[plugin][registry]") {
  const auto m = stage("load-throwing", "throwing", "throwing");
  kick::console_host services(kick::log_level::error);
  auto backend = kick::create_backend(m, services, kick::param_map{});
  REQUIRE(backend.has_value());
  auto runner = (*backend)->load(kick::model_view{}, kick::runner_options{});
  REQUIRE_FALSE(runner.has_value());
  CHECK(runner.error().code() == kick::status_code::internal);
  CHECK_THAT(runner.error().message(), Catch::Contains("fake backend refuses to load"));
}

TEST_CASE("discovery reports duplicates, missing directories and misspelt names", "[unit][registry]") {
  const auto dir = scratch_dir("discover-dup");
  std::filesystem::copy_file(fake_plugin_dir() / "libkick-backend-throwing.so", dir / "libkick-backend-throwing.so");
  write_file(dir / "a.toml", manifest_text("throwing"));
  write_file(dir / "b.toml", manifest_text("throwing"));
  kick::registry_options options;
  options.plugin_dirs = {dir, dir / "does-not-exist"};
  options.use_environment = false;
  options.use_default_dirs = false;
  const auto registry = kick::plugin_registry::discover(options);
  REQUIRE(registry.errors().size() == 2);
  CHECK_THAT(registry.errors()[0].message(), Catch::Contains("does-not-exist") && Catch::Contains("does not exist"));
  CHECK_THAT(registry.errors()[1].message(), Catch::Contains("b.toml") && Catch::Contains("duplicate backend plugin name 'throwing'") &&
                                                 Catch::Contains("a.toml"));
  auto found = registry.find("backend", "throwin");
  REQUIRE_FALSE(found.has_value());
  CHECK_THAT(found.error().message(), Catch::Contains("did you mean 'throwing'"));
}
