#include "triviaqa_dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "python_text.h"
#include "text_normalize.h"

namespace kick::retrieval {
namespace {

using json = nlohmann::json;

class row_error {
 public:
  row_error(std::string_view path, std::string_view location) {
    prefix_ = "dataset '";
    prefix_.append(path);
    prefix_.append("' ");
    prefix_.append(location);
    prefix_.append(": ");
  }
  status operator()(std::string_view message) const {
    std::string m = prefix_;
    m.append(message);
    return status(status_code::invalid_argument, std::move(m));
  }

 private:
  std::string prefix_;
};

std::string quoted(std::string_view a, std::string_view b = {}) {
  std::string s = "'";
  s.append(a);
  if (!b.empty()) {
    s.append(".");
    s.append(b);
  }
  s.append("'");
  return s;
}

// Checks that parent[key], when present, is a list of strings; returns it (or null when absent).
result<const json*> string_list(const json& parent, const char* parent_name, const char* key, const row_error& error) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return static_cast<const json*>(nullptr);
  const std::string name = parent_name == nullptr ? quoted(key) : quoted(parent_name, key);
  if (!it->is_array()) return fail(error(name + " is not a list"));
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string()) {
      std::string m = name;
      m.append("[");
      m.append(std::to_string(i));
      m.append("] is not a string");
      return fail(error(m));
    }
  }
  return &*it;
}

// The first string of parent[section][key] (nullptr when the section, list or string is absent).
result<const std::string*> first_context(const json& row, const char* section, const char* key, const row_error& error) {
  auto it = row.find(section);
  if (it == row.end() || it->is_null()) return static_cast<const std::string*>(nullptr);
  if (!it->is_object()) return fail(error(quoted(section) + " is not an object"));
  auto list = string_list(*it, section, key, error);
  if (!list) return std::unexpected(list.error());
  if (*list == nullptr || (*list)->empty()) return static_cast<const std::string*>(nullptr);
  return &(**list)[0].get_ref<const std::string&>();
}

status parse_row(const json_row& r, std::string_view path, const trivia_read_options& options, trivia_row& out) {
  const row_error error(path, r.location);
  json doc;
  try {
    doc = json::parse(r.text);
  } catch (const json::parse_error& e) {
    std::string what = e.what();
    if (const std::size_t cut = what.find("] "); what.starts_with("[json.exception") && cut != std::string::npos) {
      what.erase(0, cut + 2);
    }
    std::string m = "not valid JSON (";
    m.append(what);
    m.append(")");
    return error(m);
  }
  if (!doc.is_object()) return error("not a JSON object");

  auto question = doc.find("question");
  if (question == doc.end() || question->is_null()) return error("no 'question'");
  if (!question->is_string()) return error("'question' is not a string");
  out.question = question->get<std::string>();
  if (text::python_strip(out.question).empty()) return error("'question' is empty");

  if (auto id = doc.find("question_id"); id != doc.end() && !id->is_null()) {
    if (!id->is_string()) return error("'question_id' is not a string");
    out.question_id = id->get<std::string>();
  }

  auto answer = doc.find("answer");
  if (answer == doc.end() || answer->is_null()) return error("no 'answer'");
  if (!answer->is_object()) return error("'answer' is not an object");
  auto normalized = string_list(*answer, "answer", "normalized_aliases", error);
  if (!normalized) return normalized.error();
  auto aliases = string_list(*answer, "answer", "aliases", error);
  if (!aliases) return aliases.error();
  if (*normalized != nullptr && !(*normalized)->empty()) {
    for (const json& a : **normalized) out.golds.push_back(a.get<std::string>());
  } else if (*aliases != nullptr) {
    for (const json& a : **aliases) out.golds.push_back(normalize_answer(a.get_ref<const std::string&>()));
  }
  if (out.golds.empty()) return error("no answer alias ('answer.normalized_aliases' and 'answer.aliases' are empty or missing)");

  auto wiki = first_context(doc, "entity_pages", "wiki_context", error);
  if (!wiki) return wiki.error();
  auto search = first_context(doc, "search_results", "search_context", error);
  if (!search) return search.error();
  out.has_wiki = *wiki != nullptr;
  out.has_search = *search != nullptr;
  if (options.keep_evidence) {
    if (out.has_wiki) out.evidence = text::truncate_chars(**wiki, options.evidence_chars_kept);
    if (out.has_search) {
      const std::size_t used = text::count_chars(out.evidence);
      if (used < options.evidence_chars_kept) out.evidence += text::truncate_chars(**search, options.evidence_chars_kept - used);
    }
  }
  return status::success();
}

class mapped_file_view {
 public:
  ~mapped_file_view() {
    if (data_ != nullptr) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  status open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const auto failed = [&](status_code code, const char* what) {
      std::string m = "dataset '";
      m.append(path);
      m.append("': ");
      m.append(what);
      m.append(" (");
      m.append(std::strerror(errno));
      m.append(")");
      return status(code, std::move(m));
    };
    if (fd_ < 0) return failed(status_code::not_found, "cannot open");
    struct stat st{};
    if (::fstat(fd_, &st) != 0) return failed(status_code::invalid_argument, "cannot stat");
    if (!S_ISREG(st.st_mode)) {
      errno = EINVAL;
      return failed(status_code::invalid_argument, "not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ == 0) return status::success();
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) return failed(status_code::resource_exhausted, "cannot map");
    data_ = p;
    ::madvise(data_, size_, MADV_SEQUENTIAL);
    return status::success();
  }
  std::string_view text() const { return data_ == nullptr ? std::string_view() : std::string_view(static_cast<const char*>(data_), size_); }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

result<trivia_dataset> parse_triviaqa(std::string_view text, std::string_view path, const trivia_read_options& options) {
  trivia_dataset dataset;
  auto layout = for_each_json_row(text, path, [&](const json_row& r) {
    trivia_row row;
    if (status s = parse_row(r, path, options, row); !s.ok()) return s;
    dataset.rows.push_back(std::move(row));
    return status::success();
  });
  if (!layout) return std::unexpected(layout.error());
  dataset.layout = *layout;
  return dataset;
}

result<trivia_dataset> read_triviaqa(const std::string& path, const trivia_read_options& options) {
  mapped_file_view file;
  if (status s = file.open(path); !s.ok()) return fail(s);
  return parse_triviaqa(file.text(), path, options);
}

}  // namespace kick::retrieval
