// Copies k and v rows [n_tokens][n_kv_heads * head_dim] into caches [kv_head][n_ctx][head_dim]
// at positions pos0 .. pos0 + n_tokens - 1.
#include "push.h"
KICK_PUSH_BEGIN(kv_store_push)
KICK_U32(n_tokens)
KICK_U32(n_kv_heads)
KICK_U32(head_dim)
KICK_U32(n_ctx)
KICK_U32(pos0)
KICK_PUSH_END(kv_store_push)
