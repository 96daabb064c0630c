#include "core/run/run_manifest.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/registry/toml_reader.h"
#include "core/util/did_you_mean.h"

namespace kick {

namespace {

const std::vector<std::string> k_sections = {"model", "backend", "compress", "task", "output", "seed", "description"};

// The TOML value of an override's right-hand side, or a string when it is not valid TOML.
toml::table parse_override_value(std::string_view text) {
  try {
    toml::table t = toml::parse(fmt::format("v = {}", text));
    if (t.contains("v")) return t;
  } catch (const toml::parse_error&) {
  }
  toml::table t;
  t.insert_or_assign("v", std::string(text));
  return t;
}

// Everything but the reserved keys becomes plugin parameters.
plugin_section split_plugin_section(const toml::table& table, std::string_view name_key, std::string name,
                                    std::string where, std::initializer_list<std::string_view> reserved) {
  plugin_section s;
  s.name = std::move(name);
  s.where = std::move(where);
  for (auto&& [key, value] : table) {
    bool skip = key.str() == name_key;
    for (std::string_view r : reserved) skip = skip || key.str() == r;
    if (!skip) s.params.insert_or_assign(key.str(), value);
  }
  return s;
}

status read_model(const toml_section& root, run_manifest& m) {
  auto model = root.optional_table("model");
  if (!model) return model.error();
  if (!*model) return fail(status_code::invalid_argument, fmt::format("{}: [model] table is missing", m.file.string()));
  const toml_section& s = **model;
  if (status st = s.allow_only({"path", "tokenizer", "format", "context"}); !st.ok()) return st;
  auto path = s.required_string("path");
  if (!path) return path.error();
  m.model_path = (m.base_dir / *path).lexically_normal();
  auto tokenizer = s.optional_string("tokenizer");
  if (!tokenizer) return tokenizer.error();
  if (*tokenizer && !(*tokenizer)->empty()) m.tokenizer_path = (m.base_dir / **tokenizer).lexically_normal();
  auto format = s.optional_string("format");
  if (!format) return format.error();
  auto parsed = parse_model_format(format->value_or("auto"));
  if (!parsed) return parsed.error().with_context(s.where("format"));
  m.format = *parsed;
  auto context = s.optional_int("context");
  if (!context) return context.error();
  m.context = context->value_or(0);
  if (m.context < 0) return fail(status_code::out_of_range, fmt::format("{}: {} must be >= 0", s.where("context"), m.context));
  return status::success();
}

status read_plugin_section(const toml_section& root, std::string_view section, std::string_view name_key, bool required,
                           std::optional<plugin_section>& out, std::initializer_list<std::string_view> reserved = {}) {
  auto table = root.optional_table(section);
  if (!table) return table.error();
  if (!*table) {
    if (required) return fail(status_code::invalid_argument, fmt::format("{}: [{}] table is missing", root.file().string(), section));
    return status::success();
  }
  auto name = (*table)->required_string(name_key);
  if (!name) return name.error();
  out = split_plugin_section((*table)->table(), name_key, *name, (*table)->where(""), reserved);
  return status::success();
}

// [compress.calibration] of one compression entry.
status read_calibration(const toml_section& c, const std::filesystem::path& base_dir, calibration_settings& cal) {
  auto table = c.optional_table("calibration");
  if (!table) return table.error();
  if (!*table) return status::success();
  const toml_section& s = **table;
  if (status st = s.allow_only({"data", "nsamples", "seqlen", "seed", "sampling", "propagate", "true_sequential"}); !st.ok()) return st;
  auto data = s.optional_string("data");
  auto nsamples = s.optional_int("nsamples");
  auto seqlen = s.optional_int("seqlen");
  auto seed = s.optional_int("seed");
  auto sampling = s.optional_string("sampling");
  auto propagate = s.optional_string("propagate");
  auto true_sequential = s.optional_bool("true_sequential");
  if (!data) return data.error();
  if (!nsamples) return nsamples.error();
  if (!seqlen) return seqlen.error();
  if (!seed) return seed.error();
  if (!sampling) return sampling.error();
  if (!propagate) return propagate.error();
  if (!true_sequential) return true_sequential.error();
  if (*data) cal.data = (base_dir / **data).lexically_normal();
  cal.nsamples = *nsamples;
  cal.seqlen = *seqlen;
  cal.seed = *seed;
  cal.sampling = *sampling;
  cal.propagate = *propagate;
  cal.true_sequential = *true_sequential;
  return status::success();
}

bool is_label(std::string_view label) {
  if (label.empty() || label.front() == '.') return false;
  for (char ch : label) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

// One [compress] table, or one entry of [[compress]].
result<compress_section> read_compress_entry(const toml::table& t, const std::filesystem::path& file,
                                             const std::filesystem::path& base_dir, const std::string& path) {
  const toml_section s(t, file, path);
  compress_section c;
  c.where = s.where("");
  auto method = s.required_string("method");
  if (!method) return std::unexpected(method.error());
  auto label = s.optional_string("label");
  if (!label) return std::unexpected(label.error());
  auto save = s.optional_string("save");
  if (!save) return std::unexpected(save.error());
  if (*save) c.save = std::filesystem::path(**save);
  if (status st = read_calibration(s, base_dir, c.calibration); !st.ok()) return fail(st);
  // method "none" is the uncompressed baseline; its other keys are ignored, so that
  // `--set compress.method=none` gives the dense baseline of any single-[compress] manifest.
  if (*method != "none") c.method = split_plugin_section(t, "method", *method, c.where, {"label", "save", "calibration"});
  c.label = label->value_or(*method == "none" ? "dense" : *method);
  if (!is_label(c.label)) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: label '{}' must be letters, digits, '-', '_' or '.' (it names a results folder)", s.where("label"), c.label));
  }
  return c;
}

// [compress] (one variant), [[compress]] (several: each evaluated in turn), or nothing (dense).
status read_compress_variants(const toml::table& root, run_manifest& m) {
  const toml::node* node = root.get("compress");
  if (node == nullptr) {
    m.variants.push_back(compress_section{std::nullopt, "dense", {}, {}, ""});
    return status::success();
  }
  if (const toml::table* t = node->as_table()) {
    auto c = read_compress_entry(*t, m.file, m.base_dir, "compress");
    if (!c) return c.error();
    m.variants.push_back(std::move(*c));
    return status::success();
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables() || array->empty()) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: compress: expected a table [compress] or tables [[compress]]", m.file.string()));
  }
  std::set<std::string> labels;
  for (std::size_t i = 0; i < array->size(); ++i) {
    auto c = read_compress_entry(*array->get(i)->as_table(), m.file, m.base_dir, fmt::format("compress[{}]", i));
    if (!c) return c.error();
    if (!labels.insert(c->label).second) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: label '{}' is used by another [[compress]] entry; give each a distinct label", c->where, c->label));
    }
    m.variants.push_back(std::move(*c));
  }
  return status::success();
}

status read_tasks(const toml::table& root, run_manifest& m) {
  const toml::node* node = root.get("task");
  if (node == nullptr) {
    return fail(status_code::invalid_argument,
                fmt::format("{}: no [[task]] entries: a run needs at least one task", m.file.string()));
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return fail(status_code::invalid_argument, fmt::format("{}: task: expected an array of tables ([[task]])", m.file.string()));
  }
  std::set<std::string> aliases;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table& t = *array->get(i)->as_table();
    const toml_section s(t, m.file, fmt::format("task[{}]", i));
    auto name = s.required_string("name");
    if (!name) return name.error();
    auto alias = s.optional_string("alias");
    if (!alias) return alias.error();
    auto dataset = s.optional_string("dataset");
    if (!dataset) return dataset.error();
    auto limit = s.optional_int("limit");
    if (!limit) return limit.error();
    task_section task;
    task.name = *name;
    task.alias = alias->value_or(*name);
    if (*dataset && !(*dataset)->empty()) task.dataset = (m.base_dir / **dataset).lexically_normal();
    task.limit = limit->value_or(0);
    if (task.limit < 0) return fail(status_code::out_of_range, fmt::format("{}: {} must be >= 0", s.where("limit"), task.limit));
    if (!aliases.insert(task.alias).second) {
      return fail(status_code::invalid_argument,
                  fmt::format("{}: two tasks share the alias '{}': give one an alias = \"...\"", s.where("alias"), task.alias));
    }
    plugin_section ps = split_plugin_section(t, "name", task.name, s.where(""), {"alias", "dataset", "limit"});
    task.params = std::move(ps.params);
    task.where = std::move(ps.where);
    m.tasks.push_back(std::move(task));
  }
  return status::success();
}

}  // namespace

status apply_override(toml::table& root, std::string_view assignment) {
  const std::size_t eq = assignment.find('=');
  const auto bad = [&](std::string_view why) {
    return fail(status_code::invalid_argument, fmt::format("--set '{}': {}", assignment, why));
  };
  if (eq == std::string_view::npos || eq == 0) return bad("expected section.key=value");
  const std::string_view key_path = assignment.substr(0, eq);
  toml::table value = parse_override_value(assignment.substr(eq + 1));
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t dot = key_path.find('.', start);
    parts.push_back(key_path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (std::string_view p : parts) {
    if (p.empty()) return bad("empty key component");
  }
  const std::string section(parts[0]);
  if (std::find(k_sections.begin(), k_sections.end(), section) == k_sections.end()) {
    return bad(fmt::format("unknown section '{}'{}", section, did_you_mean(section, k_sections)));
  }
  if (section == "seed" || section == "description") {
    if (parts.size() != 1) return bad(fmt::format("'{}' is a top-level key", section));
    root.insert_or_assign(section, *value.get("v"));
    return status::success();
  }
  toml::table* target = nullptr;
  std::string_view key;
  if (section == "task") {
    if (parts.size() != 3) return bad("expected task.<name or alias>.<key>=value");
    toml::array* tasks = root["task"].as_array();
    // An alias (which defaults to the name) identifies a task; a plain name is accepted when
    // it is unambiguous.
    std::vector<std::string> known;
    std::vector<toml::table*> by_alias, by_name;
    for (std::size_t i = 0; tasks != nullptr && i < tasks->size(); ++i) {
      toml::table* t = tasks->get(i)->as_table();
      if (t == nullptr) continue;
      const std::string name = (*t)["name"].value_or(std::string());
      const std::string alias = (*t)["alias"].value_or(name);
      known.push_back(alias);
      if (alias == parts[1]) by_alias.push_back(t);
      if (name == parts[1]) by_name.push_back(t);
    }
    const std::vector<toml::table*>& matches = by_alias.size() == 1 ? by_alias : by_name;
    if (matches.empty()) return bad(fmt::format("no task named '{}'{}", parts[1], did_you_mean(parts[1], known)));
    if (matches.size() > 1) return bad(fmt::format("several tasks are named '{}': use an alias", parts[1]));
    target = matches.front();
    key = parts[2];
  } else {
    if (parts.size() != 2) return bad(fmt::format("expected {}.<key>=value", section));
    toml::node* node = root.get(section);
    if (node == nullptr) node = root.insert_or_assign(section, toml::table{}).first->second.as_table();
    target = node->as_table();
    if (target == nullptr && section == "compress" && node->is_array_of_tables()) {
      return bad("the manifest lists several [[compress]] variants; --set compress.* applies to a single [compress] table");
    }
    if (target == nullptr) return bad(fmt::format("'{}' in the manifest is not a table", section));
    key = parts[1];
  }
  target->insert_or_assign(key, *value.get("v"));
  return status::success();
}

result<run_manifest> load_run_manifest(const std::filesystem::path& file, std::span<const std::string> overrides) {
  auto parsed = parse_toml_file(file);
  if (!parsed) return std::unexpected(parsed.error());
  toml::table root = std::move(*parsed);
  for (const std::string& o : overrides) {
    if (status s = apply_override(root, o); !s.ok()) return fail(s);
  }
  run_manifest m;
  m.file = file;
  m.base_dir = std::filesystem::absolute(file).parent_path();
  const toml_section top(root, file, "");
  if (status s = top.allow_only({"model", "backend", "compress", "task", "output", "seed", "description"}); !s.ok()) return fail(s);
  auto seed = top.optional_int("seed");
  if (!seed) return std::unexpected(seed.error());
  if (seed->value_or(0) < 0) return fail(status_code::out_of_range, fmt::format("{}: must be >= 0", top.where("seed")));
  m.seed = static_cast<std::uint64_t>(seed->value_or(0));
  auto description = top.optional_string("description");
  if (!description) return std::unexpected(description.error());
  m.description = description->value_or("");
  if (status s = read_model(top, m); !s.ok()) return fail(s);
  std::optional<plugin_section> backend;
  if (status s = read_plugin_section(top, "backend", "name", true, backend, {"fallback"}); !s.ok()) return fail(s);
  m.backend = std::move(*backend);
  if (auto fallback = (*top.optional_table("backend"))->optional_string("fallback"); !fallback) {
    return std::unexpected(fallback.error());
  } else if (*fallback) {
    m.backend_fallback = **fallback;
  }
  if (status s = read_compress_variants(root, m); !s.ok()) return fail(s);
  if (status s = read_tasks(root, m); !s.ok()) return fail(s);
  auto output = top.optional_table("output");
  if (!output) return std::unexpected(output.error());
  m.output_dir = std::filesystem::path("results") / file.stem();
  if (*output) {
    if (status s = (*output)->allow_only({"dir"}); !s.ok()) return fail(s);
    auto dir = (*output)->optional_string("dir");
    if (!dir) return std::unexpected(dir.error());
    if (*dir) m.output_dir = **dir;
  }
  return m;
}

}  // namespace kick
