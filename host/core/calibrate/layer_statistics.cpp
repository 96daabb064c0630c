#include "core/calibrate/layer_statistics.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

namespace kick {

statistics_request statistics_request::from_needs(const std::vector<std::string>& needs) {
  statistics_request r;
  for (const std::string& n : needs) {
    if (n == "hessian") r.hessian = true;
    if (n == "input_sq_mean") r.input_sq_mean = true;
    if (n == "input_abs_mean") r.input_abs_mean = true;
    if (n == "input_abs_max") r.input_abs_max = true;
    if (n == "inputs") r.inputs = true;
  }
  return r;
}

layer_statistics::layer_statistics(std::int64_t n_cols, statistics_request request)
    : n_cols_(n_cols), request_(request) {
  const auto n = static_cast<std::size_t>(n_cols);
  if (request_.hessian) hessian_.assign(n * n, 0.0f);
  if (request_.input_sq_mean) sq_mean_.assign(n, 0.0f);
  if (request_.input_abs_mean) abs_sum_.assign(n, 0.0);
  if (request_.input_abs_max) abs_max_.assign(n, 0.0f);
}

void layer_statistics::add_sequence(const float* x, std::int64_t n_tokens, std::int64_t row_stride) {
  if (n_tokens <= 0) return;
  const auto n = static_cast<std::size_t>(n_cols_);
  // Running averages over sequences, exactly in the references' order of operations.
  const float keep = static_cast<float>(n_sequences_) / static_cast<float>(n_sequences_ + 1);
  ++n_sequences_;
  n_tokens_ += n_tokens;
  if (request_.hessian) {
    for (float& h : hessian_) h *= keep;
    // H += (sqrt(2/n) X)^T (sqrt(2/n) X): the scaled product, lower triangle by syrk, then mirrored.
    const float scale = std::sqrt(2.0f / static_cast<float>(n_sequences_));
    std::vector<float> scaled(static_cast<std::size_t>(n_tokens) * n);
    for (std::int64_t t = 0; t < n_tokens; ++t)
      for (std::size_t j = 0; j < n; ++j) scaled[static_cast<std::size_t>(t) * n + j] = scale * x[t * row_stride + static_cast<std::int64_t>(j)];
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, static_cast<int>(n_cols_), static_cast<int>(n_tokens), 1.0f,
                scaled.data(), static_cast<int>(n_cols_), 1.0f, hessian_.data(), static_cast<int>(n_cols_));
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) hessian_[i * n + j] = hessian_[j * n + i];
  }
  if (request_.input_sq_mean) {
    for (float& s : sq_mean_) s *= keep;
    for (std::size_t j = 0; j < n; ++j) {
      float norm_sq = 0.0f;
      for (std::int64_t t = 0; t < n_tokens; ++t) {
        const float v = x[t * row_stride + static_cast<std::int64_t>(j)];
        norm_sq += v * v;
      }
      sq_mean_[j] += norm_sq / static_cast<float>(n_sequences_);
    }
  }
  if (request_.input_abs_mean || request_.input_abs_max) {
    for (std::int64_t t = 0; t < n_tokens; ++t) {
      const float* row = x + t * row_stride;
      for (std::size_t j = 0; j < n; ++j) {
        const float a = std::fabs(row[j]);
        if (request_.input_abs_mean) abs_sum_[j] += a;
        if (request_.input_abs_max) abs_max_[j] = std::max(abs_max_[j], a);
      }
    }
  }
  if (request_.inputs) {
    for (std::int64_t t = 0; t < n_tokens; ++t) inputs_.insert(inputs_.end(), x + t * row_stride, x + t * row_stride + n_cols_);
  }
}

layer_stats layer_statistics::view() const {
  layer_stats s;
  s.n_sequences = n_sequences_;
  s.n_tokens = n_tokens_;
  if (request_.hessian) s.hessian = hessian_.data();
  if (request_.input_sq_mean) s.input_sq_mean = sq_mean_.data();
  if (request_.input_abs_mean) {
    abs_mean_.resize(abs_sum_.size());
    for (std::size_t j = 0; j < abs_sum_.size(); ++j)
      abs_mean_[j] = n_tokens_ > 0 ? static_cast<float>(abs_sum_[j] / static_cast<double>(n_tokens_)) : 0.0f;
    s.input_abs_mean = abs_mean_.data();
  }
  if (request_.input_abs_max) s.input_abs_max = abs_max_.data();
  if (request_.inputs) {
    s.inputs = inputs_.data();
    s.n_input_rows = n_cols_ > 0 ? static_cast<std::int64_t>(inputs_.size()) / n_cols_ : 0;
  }
  return s;
}

std::int64_t layer_statistics::size_bytes() const {
  return static_cast<std::int64_t>((hessian_.size() + sq_mean_.size() + abs_mean_.size() + abs_max_.size() + inputs_.size()) *
                                       sizeof(float) +
                                   abs_sum_.size() * sizeof(double));
}

}  // namespace kick
