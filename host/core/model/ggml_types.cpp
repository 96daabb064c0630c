#include "core/model/ggml_types.h"

#include <array>

namespace kick {
namespace {

// Block geometry per ggml's type table (ids 4, 5 and 31..33, 36..38 were removed from ggml).
constexpr std::array<ggml_type_traits, 32> k_types{{
    {0, "f32", 1, 4},        {1, "f16", 1, 2},         {2, "q4_0", 32, 18},      {3, "q4_1", 32, 20},
    {6, "q5_0", 32, 22},     {7, "q5_1", 32, 24},      {8, "q8_0", 32, 34},      {9, "q8_1", 32, 36},
    {10, "q2_k", 256, 84},   {11, "q3_k", 256, 110},   {12, "q4_k", 256, 144},   {13, "q5_k", 256, 176},
    {14, "q6_k", 256, 210},  {15, "q8_k", 256, 292},   {16, "iq2_xxs", 256, 66}, {17, "iq2_xs", 256, 74},
    {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50},  {20, "iq4_nl", 32, 18},   {21, "iq3_s", 256, 110},
    {22, "iq2_s", 256, 82},  {23, "iq4_xs", 256, 136}, {24, "i8", 1, 1},         {25, "i16", 1, 2},
    {26, "i32", 1, 4},       {27, "i64", 1, 8},        {28, "f64", 1, 8},        {29, "iq1_m", 256, 56},
    {30, "bf16", 1, 2},      {34, "tq1_0", 256, 54},   {35, "tq2_0", 256, 66},   {39, "mxfp4", 32, 17},
}};

}  // namespace

const ggml_type_traits* find_ggml_type(std::uint32_t id) {
  for (const auto& t : k_types) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::optional<dtype> dtype_from_ggml(std::uint32_t id) {
  switch (id) {
    case k_ggml_f32: return dtype::f32;
    case k_ggml_f16: return dtype::f16;
    case k_ggml_q8_0: return dtype::q8_0;
    case k_ggml_bf16: return dtype::bf16;
    default: return std::nullopt;
  }
}

std::uint32_t ggml_from_dtype(dtype type) {
  switch (type) {
    case dtype::f32: return k_ggml_f32;
    case dtype::f16: return k_ggml_f16;
    case dtype::bf16: return k_ggml_bf16;
    case dtype::q8_0: return k_ggml_q8_0;
  }
  return k_ggml_f32;
}

}  // namespace kick
