# Every compute shader kick embeds: kick_shader(<name> <source.comp> <storage buffers> [-DNAME=VALUE...]).
# One .comp file holds one op; a format or type variant of an op is the same file compiled with
# other defines. Included by plugins/backend-vulkan/CMakeLists.txt.
kick_shader(add add.comp 2)
# Non-linear ops of the Llama forward (plugins/backend-vulkan/ops_*.cpp).
kick_shader(rms_norm rms_norm.comp 3)
kick_shader(rope rope.comp 3)
kick_shader(kv_store kv_store.comp 4)
kick_shader(attention attention.comp 4)
kick_shader(swiglu swiglu.comp 2)
kick_shader(add_bias add_bias.comp 2)
kick_shader(logprob logprob.comp 4)
kick_shader(copy_bandwidth copy_bandwidth.comp 2)
# Linear layers (matvec: decode, matmul: prefill) and embedding lookups, one build per weight format.
foreach(kick_linear_format f32:1 f16:1 bf16:1 q8_0:2 nm:2 bitmap:4 gq:4 nf4:2 int8o:4)
  string(REPLACE ":" ";" kick_linear_format ${kick_linear_format})
  list(GET kick_linear_format 0 kick_format_name)
  list(GET kick_linear_format 1 kick_format_arrays)
  string(TOUPPER ${kick_format_name} kick_format_define)
  math(EXPR kick_format_bindings "${kick_format_arrays} + 2")
  kick_shader(matvec_${kick_format_name} matvec.comp ${kick_format_bindings} -DFORMAT_${kick_format_define})
  kick_shader(matmul_${kick_format_name} matmul.comp ${kick_format_bindings} -DFORMAT_${kick_format_define})
  kick_shader(embed_${kick_format_name} embed.comp ${kick_format_bindings} -DFORMAT_${kick_format_define})
endforeach()
