// Compressed linear layers executed in their own format (kick/formats.h layouts stay resident as
// the host holds them; nothing is densified): the matrix-vector kernels of decode and the row
// decoder that feeds prefill's tiled sgemm. One implementation per layout and instruction set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels.h"
#include "kick/formats.h"
#include "kick/status.h"

namespace kick::cpu {

// How the sparse kernels hold the non-zero values (the backend's compressed_values parameter).
// stored: the layout's own values (kick/formats.h sparse_values) in place when they are f32 or
// f16 (a layer compressed from a 16-bit model holds f16 or bf16 values); bf16 values are widened
// to an f32 copy. Exact: the products use densify's weights. f32 / f16: a copy in that type when
// the layout's differs (f16 rounding, relative 2^-11, when narrowing).
enum class sparse_value_type { stored, f32, f16 };

// How decode kernels of group-quantized and int8 + outlier layers read activations: f32 (exact
// products of the layout's weights) or int8 (quantized per 32 columns, then integer dot products:
// faster, with a rounding of at most 1/254 of each 32 columns' largest |x|; group_quant_q8.h). The
// backend's activations parameter. Prefill (sgemm) always multiplies in f32.
enum class activation_type { f32, int8 };

struct linear_options {
  sparse_value_type values = sparse_value_type::stored;
  activation_type activations = activation_type::f32;
};

class compressed_linear {
 public:
  virtual ~compressed_linear() = default;

  std::int64_t n_rows() const { return weight_->n_rows; }
  std::int64_t n_cols() const { return weight_->n_cols; }
  const compressed_weight& weight() const { return *weight_; }

  // Bytes of the layout a matrix-vector product reads.
  virtual std::int64_t bytes() const = 0;
  // e.g. "nm 2:4 avx512f", "gq int4 generic (decode + dot)".
  virtual std::string kernel_name() const = 0;

  // y[t * ldy + r] = sum_c W[r][c] * x[t * n_cols + c] for r in [r0, r1) and t < n_tokens
  // (a few tokens: each row's weights are decoded once for all of them). `scratch` holds at
  // least scratch_floats() floats private to the calling thread.
  virtual void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
                      float* scratch) const = 0;
  // Kernels that transform x before reading it (quantized, transposed) do it once per product:
  // prepare_input writes n_tokens rows of x into `prepared` (prepared_input_bytes(n_tokens) bytes,
  // 64-byte aligned), then any thread runs matvec_prepared on its rows. 0 bytes: matvec reads x
  // as it is. matvec itself prepares into a buffer of the calling thread and calls matvec_prepared
  // (matvec_through_prepared_input).
  virtual std::int64_t prepared_input_bytes(std::int64_t /*n_tokens*/) const { return 0; }
  virtual void prepare_input(const float* /*x*/, std::int64_t /*n_tokens*/, std::byte* /*prepared*/) const {}
  virtual void matvec_prepared(std::int64_t /*r0*/, std::int64_t /*r1*/, const std::byte* /*prepared*/, std::int64_t /*n_tokens*/,
                               float* /*y*/, std::int64_t /*ldy*/) const {}

  // out[(r - r0) * n_cols + c] = W[r][c] for r in [r0, r1): the tile prefill multiplies.
  virtual void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const = 0;

  std::int64_t scratch_floats() const { return n_cols(); }

 protected:
  // For layers that prepare their input: prepares x into a buffer of the calling thread, runs
  // matvec_prepared and returns true; false (nothing done) when prepared_input_bytes is 0.
  bool matvec_through_prepared_input(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                                     std::int64_t ldy) const;

  explicit compressed_linear(const compressed_weight& w) : weight_(&w) {}
  // The layout's own storage (kick::storage_bits_per_weight x the weight count), in bytes.
  std::int64_t layout_bytes() const;

 private:
  const compressed_weight* weight_;  // owned by the host, outlives the runner
};

// A 64-byte aligned region of at least `bytes` inside `storage` (grown as needed): where
// prepared inputs are written.
inline std::byte* aligned_prepared_input(std::vector<std::byte>& storage, std::int64_t bytes) {
  if (storage.size() < static_cast<std::size_t>(bytes) + 64) storage.resize(static_cast<std::size_t>(bytes) + 64);
  const auto address = reinterpret_cast<std::uintptr_t>(storage.data());
  return storage.data() + (64 - address % 64) % 64;
}

// The kernels for `w` on `kernels.isa`, after kick::check_layout (invalid_argument names the
// layout's problem); sparse layouts hold their values as options.values says, group-quantized and
// int8 + outlier ones read activations as options.activations says. `w` must outlive the result.
result<std::unique_ptr<compressed_linear>> make_compressed_linear(const compressed_weight& w, const kernel_set& kernels,
                                                                  linear_options options = {});

// The portable implementation of every layout: kick::densify_row into scratch, then the
// kernel set's f32 dot product. The reference the format-specific kernels are tested against.
std::unique_ptr<compressed_linear> make_generic_compressed_linear(const compressed_weight& w, const kernel_set& kernels);

}  // namespace kick::cpu
