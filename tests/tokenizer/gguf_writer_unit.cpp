// Compiles the shared test GGUF writer (tests/model/gguf_writer.*) into this suite, which the
// suite's CMake glob (tests/tokenizer/*.cpp) would not otherwise pick up.
#include "model/gguf_writer.cpp"  // NOLINT(bugprone-suspicious-include)
