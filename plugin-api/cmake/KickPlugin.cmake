# kick_add_plugin(NAME <name> KIND <method|backend|task> MANIFEST <file.toml> SOURCES <src>...)
#
# Builds libkick-<kind>-<name>.so as a MODULE library with hidden visibility and no undefined
# symbols, and puts it next to its manifest in KICK_PLUGIN_OUTPUT_DIR (default:
# <build>/lib/kick/plugins), which is what `kickhost --plugin-dir` expects. Used in tree and,
# through find_package(kick), out of tree.
include_guard(GLOBAL)
include(GNUInstallDirs)

function(kick_add_plugin)
  cmake_parse_arguments(arg "" "NAME;KIND;MANIFEST" "SOURCES" ${ARGN})
  if(NOT arg_NAME OR NOT arg_KIND OR NOT arg_MANIFEST OR NOT arg_SOURCES)
    message(FATAL_ERROR "kick_add_plugin: NAME, KIND, MANIFEST and SOURCES are required")
  endif()
  if(NOT arg_KIND MATCHES "^(method|backend|task)$")
    message(FATAL_ERROR "kick_add_plugin(${arg_NAME}): KIND must be method, backend or task, not '${arg_KIND}'")
  endif()
  if(NOT DEFINED KICK_PLUGIN_OUTPUT_DIR)
    set(KICK_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/lib/kick/plugins)
  endif()
  if(NOT DEFINED KICK_PLUGIN_INSTALL_DIR)
    set(KICK_PLUGIN_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/kick/plugins)
  endif()
  set(target kick-${arg_KIND}-${arg_NAME})
  set_property(GLOBAL APPEND PROPERTY KICK_PLUGIN_TARGETS ${target})
  add_library(${target} MODULE ${arg_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${KICK_PLUGIN_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_libraries(${target} PRIVATE kick::plugin-api)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  get_filename_component(manifest ${arg_MANIFEST} ABSOLUTE)
  get_filename_component(manifest_name ${manifest} NAME)
  # The manifest is copied beside the library when the library is built, so that a plugin
  # directory never lists a manifest whose library is missing.
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${manifest} ${KICK_PLUGIN_OUTPUT_DIR}/${manifest_name}
    VERBATIM)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${manifest})
  install(TARGETS ${target} LIBRARY DESTINATION ${KICK_PLUGIN_INSTALL_DIR})
  install(FILES ${manifest} DESTINATION ${KICK_PLUGIN_INSTALL_DIR})
endfunction()
