#include "core/model/gaussian_fill.h"

#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "kick/convert.h"

namespace kick {
namespace {

constexpr std::size_t k_levels = 1 << 16;

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The standard normal quantile of p in (0, 1), by bisection on erfc (exact to double precision
// after 100 halvings of [-40, 40]; only used to build the table).
double normal_quantile(double p) {
  double lo = -40.0, hi = 40.0;
  for (int i = 0; i < 100; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

const std::vector<double>& standard_quantiles() {
  static const std::vector<double> table = [] {
    std::vector<double> t(k_levels);
    for (std::size_t i = 0; i < k_levels / 2; ++i) {
      const double z = normal_quantile((static_cast<double>(i) + 0.5) / static_cast<double>(k_levels));
      t[i] = z;
      t[k_levels - 1 - i] = -z;  // symmetric: the mean is exactly 0
    }
    return t;
  }();
  return table;
}

// The 65536 values of N(0, stddev^2) as stored bits of `type` (element size bytes each).
const std::vector<std::byte>& level_table(dtype type, float stddev) {
  static std::mutex mutex;
  static std::map<std::pair<int, float>, std::vector<std::byte>> tables;
  const std::lock_guard lock(mutex);
  auto [it, inserted] = tables.try_emplace({static_cast<int>(type), stddev});
  if (inserted) {
    const std::size_t size = type == dtype::f32 ? 4 : 2;
    it->second.resize(k_levels * size);
    const std::vector<double>& z = standard_quantiles();
    for (std::size_t i = 0; i < k_levels; ++i) {
      const float v = static_cast<float>(z[i] * static_cast<double>(stddev));
      if (type == dtype::f32) {
        std::memcpy(it->second.data() + i * 4, &v, 4);
      } else {
        const std::uint16_t h = type == dtype::f16 ? f32_to_f16(v) : f32_to_bf16(v);
        std::memcpy(it->second.data() + i * 2, &h, 2);
      }
    }
  }
  return it->second;
}

template <std::size_t Size>
void fill_levels(std::byte* out, std::size_t n, const std::byte* table, std::uint64_t key, std::uint64_t first) {
  for (std::size_t i = 0; i < n;) {
    const std::uint64_t e = first + i;
    const std::uint64_t bits = splitmix64(key ^ splitmix64(e / 4));
    for (std::uint64_t lane = e % 4; lane < 4 && i < n; ++lane, ++i) {
      const std::size_t level = static_cast<std::size_t>((bits >> (16 * lane)) & 0xffffu);
      std::memcpy(out + i * Size, table + level * Size, Size);
    }
  }
}

}  // namespace

std::uint64_t gaussian_stream_key(std::uint64_t seed, std::string_view name) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (const char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return splitmix64(seed ^ splitmix64(h));
}

void fill_gaussian(std::span<std::byte> out, dtype type, float stddev, std::uint64_t key, std::uint64_t first_element) {
  const std::vector<std::byte>& table = level_table(type, stddev);
  if (type == dtype::f32) fill_levels<4>(out.data(), out.size() / 4, table.data(), key, first_element);
  else fill_levels<2>(out.data(), out.size() / 2, table.data(), key, first_element);
}

void fill_constant(std::span<std::byte> out, dtype type, float value) {
  if (type == dtype::f32) {
    for (std::size_t i = 0; i + 4 <= out.size(); i += 4) std::memcpy(out.data() + i, &value, 4);
    return;
  }
  const std::uint16_t h = type == dtype::f16 ? f32_to_f16(value) : f32_to_bf16(value);
  for (std::size_t i = 0; i + 2 <= out.size(); i += 2) std::memcpy(out.data() + i, &h, 2);
}

}  // namespace kick
