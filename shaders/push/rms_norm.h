// out[t][i] = x[t][i] * (1 / sqrt(mean_i x[t][i]^2 + eps)) * weight[i], rows of width n.
#include "push.h"
KICK_PUSH_BEGIN(rms_norm_push)
KICK_U32(n_tokens)
KICK_U32(n)
KICK_F32(eps)
KICK_PUSH_END(rms_norm_push)
