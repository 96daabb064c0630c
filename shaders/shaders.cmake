# Every compute shader kick embeds: kick_shader(<name> <source.comp> <storage buffers> [-DNAME=VALUE...]).
# One .comp file holds one op; a format or type variant of an op is the same file compiled with
# other defines. Included by plugins/backend-vulkan/CMakeLists.txt.
kick_shader(add add.comp 2)
