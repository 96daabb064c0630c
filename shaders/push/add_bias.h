// y[t][i] += bias[i] for n_tokens rows of width floats.
#include "push.h"
KICK_PUSH_BEGIN(add_bias_push)
KICK_U32(n_tokens)
KICK_U32(width)
KICK_PUSH_END(add_bias_push)
