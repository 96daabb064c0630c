#include "core/tokenizer/spm_vocab.h"

#include <algorithm>
#include <utility>

namespace kick {
namespace {

constexpr std::string_view k_unknown_surface = " \xE2\x81\x87 ";  // SentencePiece's " ⁇ "

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends `piece` to `out`, replacing every `space_symbol` by ' '.
void append_unescaped(std::string& out, std::string_view piece, std::string_view space_symbol) {
  if (space_symbol == " ") {
    out.append(piece);
    return;
  }
  while (!piece.empty()) {
    const std::size_t at = piece.find(space_symbol);
    if (at == std::string_view::npos) {
      out.append(piece);
      return;
    }
    out.append(piece.substr(0, at));
    out.push_back(' ');
    piece.remove_prefix(at + space_symbol.size());
  }
}

}  // namespace

int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return -1;
  const int hi = hex_digit(piece[3]);
  const int lo = hex_digit(piece[4]);
  if (hi < 0 || lo < 0) return -1;
  return hi * 16 + lo;
}

void spm_vocab::add(std::string_view piece, float score, spm_token_type type, bool later_wins) {
  const auto id = static_cast<std::int32_t>(pieces_.size());
  pieces_.emplace_back(piece);
  scores_.push_back(score);
  types_.push_back(type);
  if (later_wins) {
    ids_.insert_or_assign(std::string(piece), id);
  } else {
    ids_.emplace(std::string(piece), id);
  }
  if (type == spm_token_type::user_defined) max_user_defined_size_ = std::max(max_user_defined_size_, piece.size());
}

std::int32_t spm_vocab::find(std::string_view piece) const {
  const auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::string spm_vocab::decode(std::span<const std::int32_t> tokens, std::string_view space_symbol) const {
  std::string text;
  bool first = true;  // no piece other than control tokens seen yet
  for (const std::int32_t token : tokens) {
    if (!contains(token) || type(token) == spm_token_type::control) continue;
    const bool is_first = std::exchange(first, false);
    switch (type(token)) {
      case spm_token_type::unknown:
        text.append(k_unknown_surface);
        break;
      case spm_token_type::byte: {
        const int byte = parse_byte_piece(piece(token));
        if (byte >= 0) text.push_back(static_cast<char>(byte));
        break;
      }
      default: {
        std::string_view p = piece(token);
        if (is_first && p.starts_with(space_symbol)) p.remove_prefix(space_symbol.size());
        append_unescaped(text, p, space_symbol);
        break;
      }
    }
  }
  return text;
}

}  // namespace kick
