// Push-constant blocks written once for GLSL and C++. A file under shaders/push/ declares one
// block with these macros; a shader includes exactly one such file, the backend's C++ includes
// the same file to get the matching struct. Every field is 32 bits, so both sides agree on the
// layout (std430 for push constants packs 32-bit scalars back to back).
#ifndef KICK_SHADERS_PUSH_H
#define KICK_SHADERS_PUSH_H

#ifdef __cplusplus
#include <cstdint>
#define KICK_PUSH_BEGIN(name) struct name {
#define KICK_PUSH_END(name) };
#define KICK_U32(field) std::uint32_t field;
#define KICK_F32(field) float field;
#else
#define KICK_PUSH_BEGIN(name) layout(push_constant) uniform name##_block {
#define KICK_PUSH_END(name) } pc;
#define KICK_U32(field) uint field;
#define KICK_F32(field) float field;
#endif

#endif
