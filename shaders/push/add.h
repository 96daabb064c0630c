// y[i] += x[i] for i < n_elements (residual adds).
#include "push.h"
KICK_PUSH_BEGIN(add_push)
KICK_U32(n_elements)
KICK_PUSH_END(add_push)
