// RoPE in place on n_tokens rows of row_stride floats: n_heads heads of head_dim at the start of
// each row, token t at position pos0 + t; cos/sin tables [position][head_dim / 2].
// interleaved: 0 = rotate_half (i pairs with i + head_dim/2), 1 = interleaved (2i pairs with 2i + 1).
#include "push.h"
KICK_PUSH_BEGIN(rope_push)
KICK_U32(n_tokens)
KICK_U32(row_stride)
KICK_U32(n_heads)
KICK_U32(head_dim)
KICK_U32(pos0)
KICK_U32(interleaved)
KICK_PUSH_END(rope_push)
