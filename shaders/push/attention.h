// Causal attention with grouped kv heads: query token t (position pos0 + t) and head h attend to
// positions 0 .. pos0 + t of kv head h / (n_heads / n_kv_heads); caches [kv_head][n_ctx][head_dim].
#include "push.h"
KICK_PUSH_BEGIN(attention_push)
KICK_U32(n_tokens)
KICK_U32(pos0)
KICK_U32(n_heads)
KICK_U32(n_kv_heads)
KICK_U32(head_dim)
KICK_U32(n_ctx)
KICK_F32(scale)
KICK_PUSH_END(attention_push)
