#include "linear_sparse.h"

namespace kick::cpu {

held_values::held_values(const sparse_values& v, sparse_value_type wanted)
    : f16_(wanted == sparse_value_type::f16 || (wanted == sparse_value_type::stored && v.type == value_type::f16)) {
  if (f16_ && v.type == value_type::f16) {
    data_ = v.bits16.data();
  } else if (!f16_ && v.type == value_type::f32) {
    data_ = v.f32.data();
  } else if (f16_) {
    converted_ = true;
    copy_f16_.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) copy_f16_[i] = f32_to_f16(v[i]);
    data_ = copy_f16_.data();
  } else {
    converted_ = true;
    copy_f32_.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) copy_f32_[i] = v[i];
    data_ = copy_f32_.data();
  }
}

}  // namespace kick::cpu
