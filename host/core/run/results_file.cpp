#include "core/run/results_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace kick {

status write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(status_code::unavailable, fmt::format("{}: cannot create directory: {}", dir.string(), ec.message()));
  const std::string temp = fmt::format("{}/.{}.tmp-{}", dir.string(), path.filename().string(), ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(status_code::unavailable, fmt::format("{}: cannot write: {}", temp, std::strerror(errno)));
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return fail(status_code::unavailable, fmt::format("{}: write failed: {}", temp, std::strerror(err)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(temp.c_str());
    return fail(status_code::unavailable, fmt::format("{}: cannot flush: {}", temp, std::strerror(errno)));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return fail(status_code::unavailable, fmt::format("{}: cannot rename into place: {}", path.string(), std::strerror(err)));
  }
  return status::success();
}

namespace {
std::string format_number(const nlohmann::json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_number()) return fmt::format("{:.4f}", v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}
}  // namespace

std::string format_results_table(const nlohmann::json& results) {
  struct row {
    std::string task, metric, filter, value, stderr_text;
  };
  std::vector<row> rows;
  for (const auto& [alias, metrics] : results.at("results").items()) {
    for (const auto& [key, value] : metrics.items()) {
      if (key == "alias" || key.find("_stderr,") != std::string::npos) continue;
      const std::size_t comma = key.find(',');
      const std::string metric = key.substr(0, comma);
      const std::string filter = comma == std::string::npos ? "none" : key.substr(comma + 1);
      const std::string stderr_key = fmt::format("{}_stderr,{}", metric, filter);
      std::string err = metrics.contains(stderr_key) ? format_number(metrics.at(stderr_key)) : "N/A";
      rows.push_back({alias, metric, filter, format_number(value), err});
    }
  }
  std::size_t w_task = 4, w_metric = 6, w_filter = 6, w_value = 5, w_err = 6;
  for (const row& r : rows) {
    w_task = std::max(w_task, r.task.size());
    w_metric = std::max(w_metric, r.metric.size());
    w_filter = std::max(w_filter, r.filter.size());
    w_value = std::max(w_value, r.value.size());
    w_err = std::max(w_err, r.stderr_text.size());
  }
  std::string out = fmt::format("| {:<{}} | {:<{}} | {:<{}} | {:>{}} | {:>{}} |\n", "task", w_task, "metric", w_metric,
                                "filter", w_filter, "value", w_value, "stderr", w_err);
  out += fmt::format("|{:-<{}}|{:-<{}}|{:-<{}}|{:->{}}:|{:->{}}:|\n", "", w_task + 2, "", w_metric + 2, "", w_filter + 2, "",
                     w_value + 1, "", w_err + 1);
  for (const row& r : rows) {
    out += fmt::format("| {:<{}} | {:<{}} | {:<{}} | {:>{}} | {:>{}} |\n", r.task, w_task, r.metric, w_metric, r.filter,
                       w_filter, r.value, w_value, r.stderr_text, w_err);
  }
  return out;
}

std::string format_comparison_table(const std::vector<std::pair<std::string, const nlohmann::json*>>& variants) {
  if (variants.empty()) return {};
  // Rows: compression summary, then every task metric of the first variant, in its order.
  std::vector<std::string> headers = {"task", "metric"};
  for (const auto& [label, doc] : variants) headers.push_back(label);
  std::vector<std::vector<std::string>> rows;
  const auto add_row = [&](std::string task, std::string metric, auto&& cell) {
    std::vector<std::string> r = {std::move(task), std::move(metric)};
    for (const auto& [label, doc] : variants) r.push_back(cell(*doc));
    rows.push_back(std::move(r));
  };
  add_row("compression", "sparsity", [](const nlohmann::json& d) {
    return format_number(d.at("compression").value("global_sparsity", 0.0));
  });
  add_row("compression", "bits/weight", [](const nlohmann::json& d) {
    const auto& c = d.at("compression");
    return c.contains("mean_bits_per_weight") ? format_number(c.at("mean_bits_per_weight")) : std::string("-");
  });
  for (const auto& [alias, metrics] : variants.front().second->at("results").items()) {
    for (const auto& [key, value] : metrics.items()) {
      if (key == "alias" || key.find("_stderr,") != std::string::npos) continue;
      // Aggregates only (filter "none"); per-subject and other filtered metrics stay in results.json.
      const std::size_t comma = key.find(',');
      if (comma != std::string::npos && key.substr(comma + 1) != "none") continue;
      const std::string metric = key.substr(0, comma);
      const std::string task = alias, k = key;
      add_row(task, metric, [&task, &k](const nlohmann::json& d) {
        const auto& r = d.at("results");
        return r.contains(task) && r.at(task).contains(k) ? format_number(r.at(task).at(k)) : std::string("-");
      });
    }
  }
  std::vector<std::size_t> width(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) width[i] = std::max<std::size_t>(headers[i].size(), 3);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t i = 0; i < cells.size(); ++i)
      out += i < 2 ? fmt::format(" {:<{}} |", cells[i], width[i]) : fmt::format(" {:>{}} |", cells[i], width[i]);
    return out + "\n";
  };
  std::string out = line(headers) + "|";
  for (std::size_t i = 0; i < headers.size(); ++i) out += i < 2 ? fmt::format("{:-<{}}|", "", width[i] + 2) : fmt::format("{:-<{}}:|", "", width[i] + 1);
  out += "\n";
  for (const auto& r : rows) out += line(r);
  return out;
}

}  // namespace kick
