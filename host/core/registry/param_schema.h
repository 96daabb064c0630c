// Checking parameter values (from a run-manifest, --set, or a manifest default) against a
// plugin manifest's [params.*] specification.
#pragma once

#include <filesystem>
#include <string>

#include <toml++/toml.h>

#include "core/registry/plugin_manifest.h"
#include "kick/params.h"
#include "kick/status.h"

namespace kick {

// Converts a TOML value to the spec's type and checks range and choices. `where` names the
// place for messages (e.g. "run.toml: backend.threads"); relative paths resolve against base_dir.
result<param_value> param_from_toml(const toml::node& node, const param_spec& spec, const std::string& where,
                                    const std::filesystem::path& base_dir);

// Builds the full parameter map of a plugin: every key of `values` must be a declared param
// (unknown keys are errors with "did you mean"), each value valid, and every param without a
// default set. `where` is the prefix for messages ("run.toml: [backend]").
result<param_map> resolve_params(const plugin_manifest& manifest, const toml::table& values, const std::string& where,
                                 const std::filesystem::path& base_dir);

// Human form of a value: true, 3, 0.5, "text".
std::string to_display(const param_value& value);

}  // namespace kick
