#include "compressed_linear.h"

#include <cmath>

#include "kick/format_codec.h"
#include "linear_group_quant.h"
#include "linear_int8_outlier.h"
#include "linear_nf4.h"
#include "linear_sparse.h"

namespace kick::cpu {

std::int64_t compressed_linear::layout_bytes() const {
  return static_cast<std::int64_t>(std::llround(storage_bits_per_weight(weight()) * static_cast<double>(n_rows() * n_cols()) / 8.0));
}

bool compressed_linear::matvec_through_prepared_input(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y,
                                                      std::int64_t ldy) const {
  const std::int64_t bytes = prepared_input_bytes(n_tokens);
  if (bytes == 0) return false;
  thread_local std::vector<std::byte> buffer;
  std::byte* prepared = aligned_prepared_input(buffer, bytes);
  prepare_input(x, n_tokens, prepared);
  matvec_prepared(r0, r1, prepared, n_tokens, y, ldy);
  return true;
}

namespace {

class generic_linear final : public compressed_linear {
 public:
  generic_linear(const compressed_weight& w, const kernel_set& kernels) : compressed_linear(w), kernels_(&kernels) {}

  std::int64_t bytes() const override {
    return layout_bytes();
  }
  std::string kernel_name() const override { return std::string(layout_name(weight().layout)) + " " + kernels_->isa + " (decode + dot)"; }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* scratch) const override {
    const std::int64_t n = n_cols();
    const dot_fn dot = kernels_->dot[static_cast<int>(dtype::f32)];
    for (std::int64_t r = r0; r < r1; ++r) {
      densify_row(weight(), r, scratch);
      for (std::int64_t t = 0; t < n_tokens; ++t) y[t * ldy + r] = dot(scratch, x + t * n, n);
    }
  }

  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override {
    for (std::int64_t r = r0; r < r1; ++r) densify_row(weight(), r, out + (r - r0) * n_cols());
  }

 private:
  const kernel_set* kernels_;
};

}  // namespace

std::unique_ptr<compressed_linear> make_generic_compressed_linear(const compressed_weight& w, const kernel_set& kernels) {
  return std::make_unique<generic_linear>(w, kernels);
}

result<std::unique_ptr<compressed_linear>> make_compressed_linear(const compressed_weight& w, const kernel_set& kernels,
                                                                  linear_options options) {
  if (status s = check_layout(w); !s.ok()) return fail(s.with_context(layout_name(w.layout)));
  if (std::holds_alternative<group_quant_layout>(w.layout))
    if (auto native = make_group_quant_linear(w, kernels, options.activations)) return native;
  if (std::holds_alternative<nf4_layout>(w.layout))
    if (auto native = make_nf4_linear(w, kernels)) return native;
  if (std::holds_alternative<int8_outlier_layout>(w.layout))
    if (auto native = make_int8_outlier_linear(w, kernels, options.activations)) return native;
  if (std::holds_alternative<nm_sparse_layout>(w.layout))
    if (auto native = make_nm_linear(w, kernels, options.values)) return native;
  if (std::holds_alternative<bitmap_sparse_layout>(w.layout)) return make_bitmap_linear(w, kernels, options.values);
  return make_generic_compressed_linear(w, kernels);
}

}  // namespace kick::cpu
