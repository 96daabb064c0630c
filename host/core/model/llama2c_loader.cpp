// llama2.c legacy (version 0) checkpoints: 7 int32 header, then f32 arrays stacked over layers
// (see ../shared/fixtures/stories260K/README.md). A negative vocab_size means an untied
// classifier stored after the two legacy RoPE tables. All tensors are used in place.
#include <fmt/format.h>

#include <cstring>

#include "core/model/loader_support.h"

namespace kick::detail {
namespace {

constexpr std::uint32_t k_export_magic = 0x616b3432;  // "ak42": llama2.c's newer export formats

struct llama2c_header {
  std::int64_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  bool shared_classifier;
  std::int64_t head_dim() const { return dim / n_heads; }
  std::int64_t kv_dim() const { return head_dim() * n_kv_heads; }
};

// Floats in the file after the header; with the classifier when it is not shared.
std::uint64_t expected_floats(const llama2c_header& h) {
  const auto u = [](std::int64_t x) { return static_cast<std::uint64_t>(x); };
  const std::uint64_t per_layer = 2 * u(h.dim) + 2 * u(h.dim) * u(h.dim) + 2 * u(h.kv_dim()) * u(h.dim) +
                                  3 * u(h.hidden_dim) * u(h.dim);
  std::uint64_t n = u(h.vocab_size) * u(h.dim) + u(h.n_layers) * per_layer + u(h.dim) + u(h.seq_len) * u(h.head_dim());
  if (!h.shared_classifier) n += u(h.vocab_size) * u(h.dim);
  return n;
}

// The header if it is plausible and matches the file size exactly; otherwise why not (no path).
result<llama2c_header> read_header(std::span<const std::byte> bytes) {
  if (bytes.size() < 28) {
    return fail(status_code::invalid_argument, fmt::format("file of {} bytes is shorter than a llama2.c header (28)", bytes.size()));
  }
  std::int32_t raw[7];
  std::memcpy(raw, bytes.data(), sizeof raw);
  if (static_cast<std::uint32_t>(raw[0]) == k_export_magic) {
    return fail(status_code::unimplemented,
                fmt::format("llama2.c export version {} is not supported (only the legacy version 0 layout)", raw[1]));
  }
  llama2c_header h{raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[5] > 0};
  h.vocab_size = h.vocab_size < 0 ? -h.vocab_size : h.vocab_size;
  const auto header_text = [&] {
    return fmt::format("dim {}, hidden_dim {}, n_layers {}, n_heads {}, n_kv_heads {}, vocab_size {}, seq_len {}", raw[0],
                       raw[1], raw[2], raw[3], raw[4], raw[5], raw[6]);
  };
  const bool moderate = h.dim > 0 && h.dim <= 65536 && h.hidden_dim > 0 && h.hidden_dim <= 262144 && h.n_layers > 0 &&
                        h.n_layers <= 1024 && h.n_heads > 0 && h.n_heads <= 1024 && h.n_kv_heads > 0 &&
                        h.n_kv_heads <= h.n_heads && h.vocab_size > 0 && h.vocab_size <= (1 << 21) && h.seq_len > 0 &&
                        h.seq_len <= (1 << 21);
  if (!moderate || h.dim % h.n_heads != 0 || h.n_heads % h.n_kv_heads != 0 || h.head_dim() % 2 != 0) {
    return fail(status_code::invalid_argument, fmt::format("implausible llama2.c header ({})", header_text()));
  }
  const std::uint64_t expected = 28 + 4 * expected_floats(h);
  if (bytes.size() != expected) {
    return fail(status_code::invalid_argument,
                fmt::format("llama2.c header ({}) implies a file of {} bytes ({} classifier) but the file has {} bytes",
                            header_text(), expected, h.shared_classifier ? "shared" : "separate", bytes.size()));
  }
  return h;
}

}  // namespace

status check_llama2c_file(std::span<const std::byte> bytes) {
  auto h = read_header(bytes);
  if (!h) return h.error();
  return {};
}

result<loaded_model> load_llama2c_model(const std::filesystem::path& path) {
  auto file = mapped_file::open(path);
  if (!file) return std::unexpected(file.error());
  const std::string p = path.string();
  auto header = read_header((*file)->bytes());
  if (!header) return fail(header.error().with_context(p));
  const llama2c_header& h = *header;

  loaded_model model;
  model.path = path;
  model.format = model_format::llama2c;
  model.files.push_back(*file);
  llama_config& c = model.view.config;
  c.architecture = "llama";
  c.n_vocab = h.vocab_size;
  c.n_embd = h.dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.head_dim = h.head_dim();
  c.n_ff = h.hidden_dim;
  c.n_ctx_train = h.seq_len;
  c.rope_theta = 10000.0;
  c.rms_norm_eps = 1e-5;
  c.rope = rope_layout::interleaved;
  c.tied_embeddings = h.shared_classifier;

  // Walk the stacked arrays; each layer's slice of a [L, rows, cols] array is contiguous.
  const auto* floats = reinterpret_cast<const float*>((*file)->data() + 28);
  std::int64_t at = 0;
  auto next = [&](std::int64_t n_floats) {
    const float* start = floats + at;
    at += n_floats;
    return start;
  };
  auto matrix = [](const float* base, std::int64_t layer, std::int64_t rows, std::int64_t cols) {
    return make_contiguous_view(dtype::f32, base + layer * rows * cols, rows, cols);
  };
  auto vector = [](const float* base, std::int64_t layer, std::int64_t n) {
    return make_contiguous_view(dtype::f32, base + layer * n, 0, n);
  };
  const std::int64_t L = h.n_layers, dim = h.dim, kv = h.kv_dim(), hid = h.hidden_dim;
  model_view& v = model.view;
  v.tok_embd = matrix(next(h.vocab_size * dim), 0, h.vocab_size, dim);
  const float* rms_att = next(L * dim);
  const float* wq = next(L * dim * dim);
  const float* wk = next(L * kv * dim);
  const float* wv = next(L * kv * dim);
  const float* wo = next(L * dim * dim);
  const float* rms_ffn = next(L * dim);
  const float* w1 = next(L * hid * dim);
  const float* w2 = next(L * dim * hid);
  const float* w3 = next(L * hid * dim);
  v.output_norm = vector(next(dim), 0, dim);
  next(h.seq_len * h.head_dim());  // freq_cis_real and freq_cis_imag: [seq_len, head_dim / 2] each
  v.output = h.shared_classifier ? v.tok_embd : matrix(next(h.vocab_size * dim), 0, h.vocab_size, dim);
  v.layers.resize(static_cast<std::size_t>(L));
  for (std::int64_t i = 0; i < L; ++i) {
    layer_tensors& l = v.layers[static_cast<std::size_t>(i)];
    l.attn_norm = vector(rms_att, i, dim);
    l.wq = matrix(wq, i, dim, dim);
    l.wk = matrix(wk, i, kv, dim);
    l.wv = matrix(wv, i, kv, dim);
    l.wo = matrix(wo, i, dim, dim);
    l.ffn_norm = vector(rms_ffn, i, dim);
    l.w_gate = matrix(w1, i, hid, dim);
    l.w_down = matrix(w2, i, dim, hid);
    l.w_up = matrix(w3, i, hid, dim);
  }
  if (auto s = validate_model_view(v); !s.ok()) return fail(s.with_context(p));
  model.n_params = count_params(v);

  const auto dir = path.parent_path();
  for (const auto& name : {fmt::format("tok{}.bin", h.vocab_size), std::string("tokenizer.bin")}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir / name, ec)) {
      model.tokenizer_path = dir / name;
      break;
    }
  }
  return model;
}

}  // namespace kick::detail
