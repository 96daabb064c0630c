// Internal helpers on gguf_type shared by the GGUF parser and its typed accessors.
#pragma once

#include "core/model/gguf_file.h"

namespace kick::detail {

inline const char* type_name(gguf_type type) {
  switch (type) {
    case gguf_type::u8: return "u8";
    case gguf_type::i8: return "i8";
    case gguf_type::u16: return "u16";
    case gguf_type::i16: return "i16";
    case gguf_type::u32: return "u32";
    case gguf_type::i32: return "i32";
    case gguf_type::f32: return "f32";
    case gguf_type::boolean: return "bool";
    case gguf_type::string: return "string";
    case gguf_type::array: return "array";
    case gguf_type::u64: return "u64";
    case gguf_type::i64: return "i64";
    case gguf_type::f64: return "f64";
  }
  return "unknown";
}

inline bool is_integer(gguf_type t) {
  return t == gguf_type::u8 || t == gguf_type::i8 || t == gguf_type::u16 || t == gguf_type::i16 ||
         t == gguf_type::u32 || t == gguf_type::i32 || t == gguf_type::u64 || t == gguf_type::i64 ||
         t == gguf_type::boolean;
}
inline bool is_signed(gguf_type t) {
  return t == gguf_type::i8 || t == gguf_type::i16 || t == gguf_type::i32 || t == gguf_type::i64;
}
inline bool is_float(gguf_type t) { return t == gguf_type::f32 || t == gguf_type::f64; }

inline double scalar_as_double(gguf_type type, const gguf_value& v) {
  if (is_float(type)) return v.f;
  if (is_signed(type)) return static_cast<double>(v.i);
  return static_cast<double>(v.u);
}
}  // namespace kick::detail
