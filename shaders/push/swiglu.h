// gate[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n_elements.
#include "push.h"
KICK_PUSH_BEGIN(swiglu_push)
KICK_U32(n_elements)
KICK_PUSH_END(swiglu_push)
