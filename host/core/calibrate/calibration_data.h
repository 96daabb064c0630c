// Drawing calibration sequences from a text file, as the reference implementations draw them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tokenizer/tokenizer.h"
#include "kick/status.h"

namespace kick {

// A calibration file's documents: a JSONL file (".jsonl", one object per line with a string
// "text") gives one document per line; any other file is read as plain text: the whole file is
// one document for "windows" (like the references' WikiText-2 loader, which joins the split), and
// each paragraph (lines up to a blank line) is one document for "blocks" (AWQ's per-sample texts).
result<std::vector<std::string>> read_calibration_documents(const std::filesystem::path& file, bool one_document_per_line);

// "windows" (SparseGPT/GPTQ/Wanda C4 loader): repeatedly pick a random document until one is
// longer than seqlen tokens, then a random window [i, i + seqlen) with i uniform in
// [0, n_tokens - seqlen - 1]; nsamples windows. Documents are tokenized with BOS, as HF's Llama
// tokenizer does. A seeded std::mt19937_64 replaces Python's random (same procedure, not the same
// draws). Fails when no document is longer than seqlen.
result<std::vector<std::vector<std::int32_t>>> sample_windows(const std::vector<std::string>& documents, const tokenizer& tok,
                                                              std::int64_t nsamples, std::int64_t seqlen, std::uint64_t seed,
                                                              const std::string& source);

// "blocks" (AWQ's get_calib_dataset): shuffle the documents with the seed, keep the first
// nsamples non-empty ones of at most seqlen tokens (tokenized with BOS), concatenate their tokens
// and cut them into consecutive seqlen-token blocks (the remainder is dropped). Usually fewer
// than nsamples blocks. Fails when not even one block results.
result<std::vector<std::vector<std::int32_t>>> sample_blocks(const std::vector<std::string>& documents, const tokenizer& tok,
                                                             std::int64_t nsamples, std::int64_t seqlen, std::uint64_t seed,
                                                             const std::string& source);

}  // namespace kick
