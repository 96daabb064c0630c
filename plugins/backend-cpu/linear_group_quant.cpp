#include "linear_group_quant.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "group_quant_kernels.h"
#include "group_quant_q8.h"
#include "kick/format_codec.h"

namespace kick::cpu {

namespace {

// The lane-block kernels read codes as subnormal floats: not under denormals-are-zero (MXCSR bit 6,
// set by -ffast-math startup code), where the 32-column steps run instead.
bool subnormals_are_read() {
#if defined(__x86_64__)
  return (__builtin_ia32_stmxcsr() & 0x40u) == 0;
#else
  return false;
#endif
}

// Per 32 columns: their common group, or -1 when they span several.
std::vector<std::int32_t> step_groups(const std::vector<std::int32_t>& col_group) {
  const auto n_cols = static_cast<std::int64_t>(col_group.size());
  std::vector<std::int32_t> steps(static_cast<std::size_t>((n_cols + k_gq_step_cols - 1) / k_gq_step_cols), -1);
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const auto c0 = static_cast<std::int64_t>(s) * k_gq_step_cols, c1 = std::min(c0 + k_gq_step_cols, n_cols);
    const std::int32_t g = col_group[static_cast<std::size_t>(c0)];
    bool same = c1 - c0 == k_gq_step_cols;
    for (std::int64_t c = c0; c < c1 && same; ++c) same = col_group[static_cast<std::size_t>(c)] == g;
    steps[s] = same ? g : -1;
  }
  return steps;
}

gq_kernels kernels_for(const kernel_set& kernels, int bits) {
  const std::string_view isa = kernels.isa;
  if (isa == "avx512f") {
    gq_kernels k = gq_kernels_avx512(bits);
    if (k.matvec != nullptr) gq_block_kernels_avx512(k, bits);
    return k;
  }
  if (isa == "avx2") {
    gq_kernels k = gq_kernels_avx2(bits);
    if (k.matvec != nullptr) gq_block_kernels_avx2(k, bits);
    return k;
  }
  return gq_kernels_generic(bits);
}

class group_quant_linear final : public compressed_linear {
 public:
  group_quant_linear(const compressed_weight& w, const kernel_set& kernels, gq_kernels k, activation_type activations)
      : compressed_linear(w), isa_(kernels.isa), kernels_(k) {
    const auto& l = std::get<group_quant_layout>(w.layout);
    const std::int64_t n = w.n_cols;
    std::vector<std::int32_t> col_group(static_cast<std::size_t>(n));
    for (std::int64_t c = 0; c < n; ++c) col_group[static_cast<std::size_t>(c)] = static_cast<std::int32_t>(quant_group_of(l, c));
    layout_col_group_ = col_group;
    layout_steps_ = step_groups(layout_col_group_);
    decode_plan_ = plan(l, l.packed.data(), layout_col_group_, layout_steps_);
    decode_plan_.input_scale = l.input_scale.empty() ? nullptr : l.input_scale.data();
    if (!l.g_idx.empty()) sort_columns_by_group(l);
    if (!l.input_scale.empty()) {
      inv_input_scale_.resize(static_cast<std::size_t>(n));
      for (std::int64_t c = 0; c < n; ++c) {
        const std::int64_t from = column_order_.empty() ? c : column_order_[static_cast<std::size_t>(c)];
        inv_input_scale_[static_cast<std::size_t>(c)] = 1.0f / l.input_scale[static_cast<std::size_t>(from)];
      }
    }
    const bool sorted = !column_order_.empty();
    matvec_plan_ = sorted ? plan(l, sorted_packed_.data(), sorted_col_group_, sorted_steps_) : decode_plan_;
    matvec_plan_.input_scale = nullptr;
    matvec_plan_.inv_input_scale = inv_input_scale_.empty() ? nullptr : inv_input_scale_.data();
    if (kernels_.block_matvec != nullptr && n >= 2 * block_cols()) {
      lane_group_ = lane_groups(sorted ? sorted_col_group_ : layout_col_group_, matvec_plan_.bits);
      if (!lane_group_.empty()) {
        matvec_plan_.lane_group = lane_group_.data();
        matvec_plan_.uniform_blocks = uniform_blocks(lane_group_);
        matvec_plan_.block_groups = lane_group_.back() + 1;
      }
    }
    if (activations == activation_type::int8) plan_q8(l);
  }

  // The layout's bytes; act-order layers read a same-size copy of the codes sorted by group
  // instead of `packed` (and hold both).
  std::int64_t bytes() const override {
    return layout_bytes();
  }

  std::string kernel_name() const override {
    const std::string order = column_order_.empty() ? "" : " (act-order: codes sorted by group)";
    if (q8_kernel_.matvec != nullptr) return "quant-group int" + std::to_string(q8_.bits) + " int8-activations " + q8_kernel_.name + order;
    return "quant-group int" + std::to_string(matvec_plan_.bits) + " " + isa_ + (matvec_plan_.lane_group != nullptr ? " lane-blocks" : "") + order;
  }

  void matvec(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
              float* scratch) const override {
    if (matvec_through_prepared_input(r0, r1, x, n_tokens, y, ldy)) return;
    const std::int64_t n = n_cols();
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += k_gq_max_tokens) {
      const std::int64_t nt = std::min(k_gq_max_tokens, n_tokens - t0);
      if (column_order_.empty()) {
        kernels_.matvec(matvec_plan_, r0, r1, x + t0 * n, n, nt, 0, n, y + t0 * ldy, ldy, false);
      } else {
        matvec_sorted(r0, r1, x + t0 * n, nt, y + t0 * ldy, ldy, scratch);
      }
    }
  }

  std::int64_t prepared_input_bytes(std::int64_t n_tokens) const override {
    if (q8_kernel_.matvec != nullptr) return n_tokens * q8_input_layout::of(q8_).token_bytes();
    if (!lane_blocks()) return 0;
    const block_input b = blocks();
    return n_tokens * b.token_floats() * static_cast<std::int64_t>(sizeof(float));
  }

  void prepare_input(const float* x, std::int64_t n_tokens, std::byte* prepared) const override {
    if (q8_kernel_.matvec != nullptr) return q8_prepare(q8_, x, n_tokens, prepared);
    prepare_blocks(x, n_tokens, reinterpret_cast<float*>(prepared));
  }

  void matvec_prepared(std::int64_t r0, std::int64_t r1, const std::byte* prepared, std::int64_t n_tokens, float* y,
                       std::int64_t ldy) const override {
    if (q8_kernel_.matvec == nullptr) return matvec_blocks(r0, r1, reinterpret_cast<const float*>(prepared), n_tokens, y, ldy);
    q8_matvec_tokens(q8_kernel_, q8_, r0, r1, prepared, n_tokens, y, ldy);
  }

  void decode_rows(std::int64_t r0, std::int64_t r1, float* out) const override { kernels_.decode(decode_plan_, r0, r1, out); }

 private:
  static gq_plan plan(const group_quant_layout& l, const std::uint32_t* packed, const std::vector<std::int32_t>& col_group,
                      const std::vector<std::int32_t>& steps) {
    gq_plan p;
    p.bits = l.bits;
    p.n_cols = static_cast<std::int64_t>(col_group.size());
    p.n_rows = static_cast<std::int64_t>(l.packed.size()) / l.words_per_row;
    p.words_per_row = l.words_per_row;
    p.n_groups = l.n_groups;
    p.packed = packed;
    p.scales = l.scales.data();
    p.zeros = l.zeros.data();
    p.col_group = col_group.data();
    p.step_group = steps.data();
    return p;
  }

  // Act-order: column_order_[i] is the layout column at kernel position i (stable sort by group),
  // and every row's codes are repacked in that order, so that groups are runs of columns again.
  void sort_columns_by_group(const group_quant_layout& l) {
    const std::int64_t n = n_cols();
    column_order_.resize(static_cast<std::size_t>(n));
    std::iota(column_order_.begin(), column_order_.end(), 0);
    std::stable_sort(column_order_.begin(), column_order_.end(),
                     [&](std::int32_t a, std::int32_t b) { return l.g_idx[static_cast<std::size_t>(a)] < l.g_idx[static_cast<std::size_t>(b)]; });
    sorted_col_group_.resize(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) sorted_col_group_[static_cast<std::size_t>(i)] = l.g_idx[static_cast<std::size_t>(column_order_[static_cast<std::size_t>(i)])];
    sorted_steps_ = step_groups(sorted_col_group_);
    group_quant_layout sorted;
    sorted.bits = l.bits;
    sorted.words_per_row = l.words_per_row;
    sorted.packed.assign(l.packed.size(), 0u);
    for (std::int64_t r = 0; r < n_rows(); ++r) {
      for (std::int64_t i = 0; i < n; ++i) set_quant_code(sorted, r, i, quant_code(l, r, column_order_[static_cast<std::size_t>(i)]));
    }
    sorted_packed_ = std::move(sorted.packed);
  }

  // Act-order products read x in kernel order: blocks of columns are gathered into scratch (all
  // tokens of the block side by side) and their partial sums accumulate into y.
  void matvec_sorted(std::int64_t r0, std::int64_t r1, const float* x, std::int64_t n_tokens, float* y, std::int64_t ldy,
                     float* scratch) const {
    const std::int64_t n = n_cols();
    const std::int64_t per_pass = std::clamp<std::int64_t>(n / k_gq_step_cols, 1, n_tokens);
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += per_pass) {
      const std::int64_t nt = std::min(per_pass, n_tokens - t0);
      const std::int64_t block = n < k_gq_step_cols ? n : n / nt / k_gq_step_cols * k_gq_step_cols;
      for (std::int64_t c0 = 0; c0 < n; c0 += block) {
        const std::int64_t c1 = std::min(c0 + block, n);
        for (std::int64_t t = 0; t < nt; ++t) {
          const float* xt = x + (t0 + t) * n;
          float* dst = scratch + t * block;
          for (std::int64_t c = c0; c < c1; ++c) dst[c - c0] = xt[column_order_[static_cast<std::size_t>(c)]];
        }
        kernels_.matvec(matvec_plan_, r0, r1, scratch, block, nt, c0, c1, y + t0 * ldy, ldy, c0 > 0);
      }
    }
  }

  // Per token and block, the prepared input: the block's transposed columns and 16 lane sums.
  std::int64_t block_cols() const { return gq_block_cols(matvec_plan_.bits); }
  std::int64_t block_floats() const { return block_cols() + k_gq_block_lanes; }
  static constexpr std::int64_t k_block_run_bytes = 24 * 1024;

  // The group of each lane block's lanes (32 / bits columns), or empty when a lane spans two groups.
  static std::vector<std::int32_t> lane_groups(const std::vector<std::int32_t>& col_group, int bits) {
    const std::int64_t lane_cols = 32 / bits;
    const auto n_blocks = static_cast<std::int64_t>(col_group.size()) / gq_block_cols(bits);
    std::vector<std::int32_t> lanes(static_cast<std::size_t>(n_blocks * k_gq_block_lanes));
    for (std::int64_t l = 0; l < n_blocks * k_gq_block_lanes; ++l) {
      const std::int32_t g = col_group[static_cast<std::size_t>(lane_cols * l)];
      for (std::int64_t c = lane_cols * l; c < lane_cols * l + lane_cols; ++c)
        if (col_group[static_cast<std::size_t>(c)] != g) return {};
      lanes[static_cast<std::size_t>(l)] = g;
    }
    return lanes;
  }

  // Whether every block's lanes lie in one group.
  static bool uniform_blocks(const std::vector<std::int32_t>& lanes) {
    for (std::size_t b = 0; b < lanes.size(); b += k_gq_block_lanes)
      if (lanes[b] != lanes[b + k_gq_block_lanes - 1]) return false;
    return true;
  }

  // Lane blocks: the prepared input of each token is every block's transposed columns, then every
  // block's lane sums, then the columns past the last whole block (in kernel order), then (uniform
  // blocks) the sum of x over each group's columns in whole blocks.
  struct block_input {
    std::int64_t n_blocks, block_cols, tail0, tail_cols, n_group_sums;
    std::int64_t xt_floats() const { return n_blocks * block_cols; }
    std::int64_t sums_floats() const { return n_blocks * k_gq_block_lanes; }
    std::int64_t token_floats() const { return xt_floats() + sums_floats() + tail_cols + n_group_sums; }
  };
  block_input blocks() const {
    const std::int64_t n = n_cols(), cols = block_cols(), n_blocks = n / cols;
    return {n_blocks, cols, n_blocks * cols, n - n_blocks * cols, matvec_plan_.uniform_blocks ? matvec_plan_.block_groups : 0};
  }

  void prepare_blocks(const float* x, std::int64_t n_tokens, float* out) const {
    const block_input b = blocks();
    const std::int64_t n = n_cols();
    const std::int32_t* order = column_order_.empty() ? nullptr : column_order_.data();
    float* xt = out;
    float* sums = xt + n_tokens * b.xt_floats();
    float* tail = sums + n_tokens * b.sums_floats();
    float* group_sums = tail + n_tokens * b.tail_cols;
    thread_local std::vector<float> scaled;  // AWQ: x / input_scale in kernel order, for the blocks
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      const float* xb = x + t * n;
      const std::int32_t* block_order = order;
      if (!inv_input_scale_.empty()) {
        scaled.resize(static_cast<std::size_t>(n));
        for (std::int64_t c = 0; c < n; ++c) scaled[static_cast<std::size_t>(c)] = xb[order != nullptr ? order[c] : c] * inv_input_scale_[static_cast<std::size_t>(c)];
        xb = scaled.data();
        block_order = nullptr;
      }
      kernels_.block_prepare(xb, block_order, 0, b.n_blocks, xt + t * b.xt_floats(), sums + t * b.sums_floats());
      // The tail's step kernel applies inv_input_scale itself: it reads x as it is.
      for (std::int64_t c = b.tail0; c < n; ++c) tail[t * b.tail_cols + c - b.tail0] = x[t * n + (order != nullptr ? order[c] : c)];
      float* gs = group_sums + t * b.n_group_sums;
      std::fill(gs, gs + b.n_group_sums, 0.0f);
      for (std::int64_t l = 0; b.n_group_sums > 0 && l < b.sums_floats(); ++l) gs[lane_group_[static_cast<std::size_t>(l)]] += sums[t * b.sums_floats() + l];
    }
  }

  void matvec_blocks(std::int64_t r0, std::int64_t r1, const float* prepared, std::int64_t n_tokens, float* y, std::int64_t ldy) const {
    const block_input b = blocks();
    const float* xt = prepared;
    const float* sums = xt + n_tokens * b.xt_floats();
    const float* tail = sums + n_tokens * b.sums_floats();
    const float* group_sums = tail + n_tokens * b.tail_cols;
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += k_gq_max_tokens) {
      const std::int64_t nt = std::min(k_gq_max_tokens, n_tokens - t0);
      // Every row reads 5 (8 bits) to 17 (2 bits) bytes of prepared input per byte of codes: blocks
      // in runs of equal length whose input stays in the L1 cache while the rows go by.
      const std::int64_t most = std::max<std::int64_t>(1, k_block_run_bytes / (nt * block_floats() * static_cast<std::int64_t>(sizeof(float))));
      const std::int64_t n_runs = (b.n_blocks + most - 1) / most;
      const std::int64_t run = n_runs > 0 ? (b.n_blocks + n_runs - 1) / n_runs : 1;
      for (std::int64_t b0 = 0; b0 < b.n_blocks; b0 += run) {
        const gq_block_input in{xt + t0 * b.xt_floats() + b0 * b.block_cols, b.xt_floats(), sums + t0 * b.sums_floats() + b0 * k_gq_block_lanes,
                                b.sums_floats(), group_sums + t0 * b.n_group_sums, b.n_group_sums};
        kernels_.block_matvec(matvec_plan_, r0, r1, in, nt, b0, std::min(b0 + run, b.n_blocks), y + t0 * ldy, ldy, b0 > 0);
      }
      if (b.tail_cols > 0) {
        kernels_.matvec(matvec_plan_, r0, r1, tail + t0 * b.tail_cols, b.tail_cols, nt, b.tail0, n_cols(), y + t0 * ldy, ldy, true);
      }
    }
  }

  // int8 activations (group_quant_q8.h): whether this layer can, and its plan.
  void plan_q8(const group_quant_layout& l) {
    const std::int64_t n = n_cols();
    if ((l.bits != 2 && l.bits != 4 && l.bits != 8) || n % k_q8_step_cols != 0) return;
    const bool sorted = !column_order_.empty();
    const std::vector<std::int32_t>& steps = sorted ? sorted_steps_ : layout_steps_;
    if (std::any_of(steps.begin(), steps.end(), [](std::int32_t g) { return g < 0; })) return;
    if (!q8_tables_.plan(q8_, l.bits, n_rows(), n, l.n_groups, steps)) return;
    q8_.codes = reinterpret_cast<const std::uint8_t*>(sorted ? sorted_packed_.data() : l.packed.data());
    q8_.scales = l.scales.data();
    q8_.zeros = l.zeros.data();
    q8_.inv_input_scale = inv_input_scale_.empty() ? nullptr : inv_input_scale_.data();
    q8_.column_order = sorted ? column_order_.data() : nullptr;
    q8_kernel_ = q8_kernel_for(isa_);
  }

  bool lane_blocks() const { return matvec_plan_.lane_group != nullptr && subnormals_are_read(); }

  std::string isa_;
  gq_kernels kernels_;
  std::vector<std::int32_t> lane_group_;
  std::vector<std::int32_t> layout_col_group_, layout_steps_;
  std::vector<std::int32_t> column_order_, sorted_col_group_, sorted_steps_;
  std::vector<std::uint32_t> sorted_packed_;
  std::vector<float> inv_input_scale_;
  gq_plan decode_plan_, matvec_plan_;
  q8_tables q8_tables_;
  q8_plan q8_;
  q8_kernel q8_kernel_;  // set when this layer decodes with int8 activations
};

}  // namespace

std::unique_ptr<compressed_linear> make_group_quant_linear(const compressed_weight& w, const kernel_set& kernels, activation_type activations) {
  const auto& l = std::get<group_quant_layout>(w.layout);
  const gq_kernels k = kernels_for(kernels, l.bits);
  if (k.matvec == nullptr) return nullptr;
  return std::make_unique<group_quant_linear>(w, kernels, k, activations);
}

}  // namespace kick::cpu
