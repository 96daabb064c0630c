// samples_<alias>.jsonl: the per-sample records a task writes through kick::sample_sink.
// Lines go to a temporary file that is renamed into place when the task succeeds, so a failed
// or interrupted task never leaves a partial file under the final name.
#pragma once

#include <cstdio>
#include <filesystem>
#include <string_view>

#include "kick/status.h"
#include "kick/task.h"

namespace kick {

class sample_file final : public sample_sink {
 public:
  // Opens <dir>/.<name>.tmp-<pid> for writing (creating dir). Errors name the path.
  static result<std::unique_ptr<sample_file>> create(const std::filesystem::path& final_path);
  ~sample_file();

  // Checks that the text is one JSON object without newlines, then appends it as a line.
  status write(std::string_view json_object) override;
  std::int64_t n_records() const { return n_records_; }

  // Flushes and renames the temporary file to the final path.
  status commit();

 private:
  sample_file() = default;
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  std::FILE* file_ = nullptr;
  std::int64_t n_records_ = 0;
};

}  // namespace kick
