// Saving a (compressed) model as a HuggingFace-style directory that load_model reads back:
//   config.json        the Llama config (HF keys) plus "kick_rope_layout" and "kick_compression";
//   model.safetensors  embeddings, norms, biases, output (unless tied) and every uncompressed
//                      linear as <name>.weight; every compressed linear as its layout tensors
//                      (core/model/layout_tensors.h); __metadata__: "format" = "pt",
//                      "kick.compression" = model.compression_json, "kick.layouts" = {prefix: descriptor};
//   tokenizer.model or tokenizer.bin  a copy of the tokenizer file, when there is one.
//
// Choices (docs/export.md):
//  - Dtypes: f32/f16/bf16 tensors are stored as they are; q8_0 tensors (GGUF sources) as F32
//    (exact values; a backend then computes with f32 rows instead of q8_0 blocks, so logits may
//    differ in the last bits from the q8_0 source). Norms and biases are F32 (as in a model_view).
//  - RoPE: the rows of q/k are written as they are in the view and config.json records
//    "kick_rope_layout" ("interleaved" for GGUF and llama2.c sources, "rotate_half" otherwise);
//    kick's HF loader honours it, so the saved model reloads to the same logits. (Permuting rows
//    back to HF order is not possible for every layout: NF4 blocks may straddle rows.) Other HF
//    tools would misread an interleaved checkpoint's attention.
//  - Tokenizer: a SentencePiece model or llama2.c tokenizer.bin is copied (named tokenizer.model,
//    or tokenizer.bin when the source's extension is .bin). A tokenizer embedded in a GGUF cannot
//    be carried by the directory: that is refused (check_tokenizer_exportable) unless another
//    tokenizer file is given.
#pragma once

#include <filesystem>

#include "core/model/model_loader.h"
#include "kick/status.h"

namespace kick {

// failed_precondition when `tokenizer_source` is a GGUF file (its vocabulary cannot be copied
// into a HF directory), naming it and what to pass instead. An empty path is fine (no tokenizer).
status check_tokenizer_exportable(const std::filesystem::path& tokenizer_source);

// Writes `model` into out_dir (created when absent; config.json, model.safetensors and the
// tokenizer are replaced atomically, a stale tokenizer of the other name is removed).
// `tokenizer_source` is the tokenizer file to copy (empty: none). Refuses an out_dir that holds a
// model.safetensors.index.json (it would shadow the new model.safetensors).
status save_compressed_model(const loaded_model& model, const std::filesystem::path& out_dir,
                             const std::filesystem::path& tokenizer_source);

}  // namespace kick
