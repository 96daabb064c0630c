#include "pandas_cells.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>

namespace kick::mc {

namespace {

constexpr std::array<std::string_view, 19> k_na_values = {
    "",     "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A",  "NA",       "NULL", "NaN",   "None",     "n/a",  "nan",  "null"};
constexpr std::array<std::string_view, 3> k_true_values = {"True", "TRUE", "true"};
constexpr std::array<std::string_view, 3> k_false_values = {"False", "FALSE", "false"};

bool is_one_of(std::string_view s, std::span<const std::string_view> set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool is_na(std::string_view s) { return is_one_of(s, k_na_values); }
bool is_bool(std::string_view s) { return is_one_of(s, k_true_values) || is_one_of(s, k_false_values); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  const std::size_t first_digit = s.front() == '-' ? 1 : 0;
  if (first_digit == s.size() || !std::all_of(s.begin() + static_cast<std::ptrdiff_t>(first_digit), s.end(), is_digit)) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;  // out of int64's range
  return v;
}

// [+-]?(d+[.d*]|.d+)([eE][+-]?d+)?
std::optional<double> parse_float(std::string_view s) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i - start;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t n_digits = digits();
  if (i < s.size() && s[i] == '.') {
    ++i;
    n_digits += digits();
  }
  if (n_digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  // from_chars takes no sign other than '-': parse the unsigned body and negate.
  std::string_view body = s;
  const bool negative = s.front() == '-';
  if (s.front() == '+' || negative) body.remove_prefix(1);
  double v = 0.0;
  const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (end != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports under- and overflow without a value: use strtod's (0 or inf).
    v = std::strtod(std::string(body).c_str(), nullptr);
  } else if (ec != std::errc()) {
    return std::nullopt;
  }
  return negative ? -v : v;
}

enum class column_kind { text, boolean, integer, real };

column_kind infer(const std::vector<csv_record>& records, std::size_t column) {
  bool any_na = false, all_bool = true, all_int = true, all_real = true, any_value = false;
  for (const csv_record& r : records) {
    const std::string& cell = r.fields[column];
    if (is_na(cell)) {
      any_na = true;
      continue;
    }
    any_value = true;
    if (all_bool && !is_bool(cell)) all_bool = false;
    if (all_int && !parse_int(cell)) all_int = false;
    if (all_real && !parse_float(cell)) all_real = false;
  }
  if (!any_value) return column_kind::real;  // an all-NA column is float64
  if (all_bool) return column_kind::boolean;
  if (all_int && !any_na) return column_kind::integer;
  if (all_real) return column_kind::real;
  return column_kind::text;
}

}  // namespace

std::string python_float_repr(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  // Shortest round-trip digits in scientific form: "-d.ddde[+-]xx".
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  if (ec != std::errc()) return "nan";
  const std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const std::size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  std::string out;
  if (mantissa.front() == '-') {
    out.push_back('-');
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  if (exponent >= -4 && exponent < 16) {
    if (exponent >= 0) {
      const auto n_int = static_cast<std::size_t>(exponent) + 1;
      if (digits.size() < n_int) digits.append(n_int - digits.size(), '0');
      out.append(digits, 0, n_int);
      out.push_back('.');
      out.append(digits.size() > n_int ? digits.substr(n_int) : std::string("0"));
    } else {
      out.append("0.");
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out.append(digits);
    }
    return out;
  }
  out.push_back(digits.front());
  if (digits.size() > 1) {
    out.push_back('.');
    out.append(digits, 1);
  }
  out.push_back('e');
  out.push_back(exponent < 0 ? '-' : '+');
  const std::string e = std::to_string(std::abs(exponent));
  if (e.size() < 2) out.push_back('0');
  out.append(e);
  return out;
}

void render_like_pandas(std::vector<csv_record>& records, std::size_t n_columns) {
  for (std::size_t c = 0; c < n_columns; ++c) {
    const column_kind kind = infer(records, c);
    for (csv_record& r : records) {
      std::string& cell = r.fields[c];
      if (is_na(cell)) {
        cell = "nan";
        continue;
      }
      switch (kind) {
        case column_kind::text: break;
        case column_kind::boolean: cell = is_one_of(cell, k_true_values) ? "True" : "False"; break;
        case column_kind::integer: cell = std::to_string(*parse_int(cell)); break;
        case column_kind::real: cell = python_float_repr(*parse_float(cell)); break;
      }
    }
  }
}

}  // namespace kick::mc
