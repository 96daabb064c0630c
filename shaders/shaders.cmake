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
