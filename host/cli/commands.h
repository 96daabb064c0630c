// kickhost subcommands. Each parses its own arguments (Boost.Program_options), prints
// human output on stdout and diagnostics on stderr, and returns the process exit code:
// 0 success, 1 a failure of the work itself, 2 bad usage or bad input.
#pragma once

#include <string>
#include <vector>

namespace kick::cli {

using args = std::vector<std::string>;  // the arguments after the subcommand name

int cmd_run(const args& a);
int cmd_plugins(const args& a);
int cmd_inspect(const args& a);
int cmd_tokenize(const args& a);
int cmd_generate(const args& a);
int cmd_bench(const args& a);
int cmd_compress(const args& a);
int cmd_compress_layer(const args& a);
int cmd_bench_methods(const args& a);
int cmd_bench_kernels(const args& a);
int cmd_devices(const args& a);
int cmd_make_model(const args& a);

}  // namespace kick::cli
