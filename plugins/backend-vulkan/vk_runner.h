// The Vulkan backend's model_runner: every weight resident on the device in its own format, the
// KV cache on the device, and one command buffer per forward chunk (all layers), submitted once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "device_linear.h"
#include "kick/backend.h"
#include "kick/model.h"
#include "vk_commands.h"
#include "vk_memory.h"
#include "vk_op_context.h"
#include "vk_session.h"

namespace kick::vk {

struct runner_memory_report {
  std::uint64_t weight_bytes = 0;
  std::uint64_t cache_bytes = 0;
  std::uint64_t activation_bytes = 0;
};

class vk_runner final : public model_runner {
 public:
  // Checks the model (check_model_view), uploads every weight in its format (kick/formats.h
  // layouts stay compressed), allocates the KV cache for options.n_ctx positions (the model's
  // n_ctx_train when 0) and the activations of one chunk.
  static result<std::unique_ptr<vk_runner>> create(std::shared_ptr<session> s, const model_view& model, const runner_options& options);

  std::int64_t context_length() const override { return n_ctx_; }
  std::int64_t vocab_size() const override { return config_.n_vocab; }
  status eval(std::span<const std::int32_t> tokens, std::int64_t n_past, logits_mode mode, std::span<float> logits_out) override;
  // Log-softmax, gather and argmax run on the device (shaders/logprob.comp): two numbers per
  // position come back instead of n_vocab logits.
  status score(std::span<const std::int32_t> tokens, std::int64_t n_past, std::span<const std::int32_t> targets,
               std::span<double> logprob_out, std::span<std::int32_t> argmax_out) override;

  const runner_memory_report& memory_report() const { return report_; }

  // Tokens evaluated per command buffer; longer inputs run in chunks of this size.
  static constexpr std::int64_t k_max_chunk_tokens = 128;

 private:
  struct layer_weights {
    std::optional<device_linear> linear[k_n_linear_slots];  // by linear_slot
    buffer_range attn_norm, ffn_norm, bq, bk, bv;
    buffer_range cache_k, cache_v;  // [n_kv_heads][n_ctx][head_dim] f32
  };
  struct activations {
    buffer_range tokens;  // uint32 [chunk], host-visible
    buffer_range x, xb, q, k, v, att, tmp, gate, up;
    buffer_range logits;    // [chunk][n_vocab] on the device
    buffer_range readback;  // [chunk][n_vocab] host-visible
    buffer_range targets;   // uint32 [chunk], host-visible (score)
    buffer_range logprob;   // f32 [chunk] (score)
    buffer_range argmax;    // uint32 [chunk] (score)
  };

  vk_runner(std::shared_ptr<session> s, llama_config config, std::int64_t n_ctx);
  status upload(const model_view& model);
  status allocate_state();
  // What a chunk returns: the logits of rows [first_logit, n_tokens), or (targets set) every
  // row's log-probability of its target and its argmax.
  struct chunk_output {
    std::int64_t first_logit = 0;
    float* logits = nullptr;
    const std::int32_t* targets = nullptr;
    double* logprob = nullptr;
    std::int32_t* argmax = nullptr;
  };
  // Records and runs positions [pos0, pos0 + n_tokens) in one command buffer.
  status forward_chunk(const std::int32_t* tokens, std::int64_t n_tokens, std::int64_t pos0, const chunk_output& out);
  status record_layer(op_context& ctx, const layer_weights& w, std::uint32_t n_tokens, std::uint32_t pos0);
  result<buffer_range> upload_vector(const tensor_view& t, const std::string& what);

  std::shared_ptr<session> session_;
  llama_config config_;
  std::int64_t n_ctx_ = 0;
  std::unique_ptr<memory_pool> pool_;
  std::unique_ptr<descriptor_arena> arena_;
  std::unique_ptr<command_stream> stream_;
  std::optional<device_linear> tok_embd_;
  std::optional<device_linear> output_;  // empty when tied: tok_embd_ serves both
  buffer_range output_norm_;
  buffer_range rope_cos_, rope_sin_;
  buffer_range dummy_;
  std::vector<layer_weights> layers_;
  activations act_;
  std::int64_t n_cached_ = 0;
  runner_memory_report report_;
};

}  // namespace kick::vk
