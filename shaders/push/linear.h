// Linear layers and embedding lookups over one row part of a packed weight (matvec.comp,
// matmul.comp, embed.comp): y[t*y_stride + y_row_offset + r] = sum_c W[r][c] * x[t*x_stride + c]
// for r < n_rows of the part. embed.comp reads y_stride as the output stride and y_row_offset as
// the part's first row. The format fields mean what the format's include says.
#include "push.h"
KICK_PUSH_BEGIN(linear_push)
KICK_U32(n_rows)        // rows of this part
KICK_U32(n_cols)
KICK_U32(n_tokens)
KICK_U32(x_stride)      // floats between tokens of x (embed: unused)
KICK_U32(y_stride)      // floats between tokens of y
KICK_U32(y_row_offset)  // the part's first row in the whole weight
KICK_U32(row_words)     // 32-bit words (or values) per row of the format's main array
KICK_U32(aux_stride)    // per-row stride of the format's second array (groups, outliers, ...)
KICK_U32(group_size)    // gq: columns per group; nf4: elements per absmax block
KICK_U32(flat_offset)   // nf4: flat index of the part's element [0][0] within its first block
KICK_PUSH_END(linear_push)
