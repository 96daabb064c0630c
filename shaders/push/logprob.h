// Per token t: out_logprob[t] = logits[t][targets[t]] - logsumexp_j logits[t][j] (NaN when the
// target is not below n_vocab) and out_argmax[t] = the lowest index of the largest logit.
#include "push.h"
KICK_PUSH_BEGIN(logprob_push)
KICK_U32(n_tokens)
KICK_U32(n_vocab)
KICK_PUSH_END(logprob_push)
