// dst[i] = src[i] for i < n_floats (the copy-bandwidth kernel).
#include "push.h"
KICK_PUSH_BEGIN(copy_push)
KICK_U32(n_floats)
KICK_PUSH_END(copy_push)
