# linkgate_add_plugin(KIND NAME plugin.cpp logic.cpp... [LIBRARIES lib...])
#
# Builds a linkgate plugin as a SHARED library named linkgate-KIND-NAME.so with hidden
# visibility, so its one exported symbol is the `linkgate_plugin` alias. plugin.cpp (the
# factory and LINKGATE_PLUGIN) goes into the library; every other source is the plugin's logic
# and is also built as the static library linkgate-KIND-NAME-logic, so tests can link the
# logic directly. Installed with the SDK (find_package(linkgate-sdk)).
function(linkgate_add_plugin kind name)
  cmake_parse_arguments(ARG "" "" "LIBRARIES" ${ARGN})
  set(entry_sources "")
  set(logic_sources "")
  foreach(source IN LISTS ARG_UNPARSED_ARGUMENTS)
    get_filename_component(file_name "${source}" NAME)
    if(file_name STREQUAL "plugin.cpp")
      list(APPEND entry_sources "${source}")
    else()
      list(APPEND logic_sources "${source}")
    endif()
  endforeach()
  if(NOT entry_sources)
    message(FATAL_ERROR "linkgate_add_plugin(${kind} ${name}): plugin.cpp is missing")
  endif()

  set(target linkgate-${kind}-${name})
  set(link_to linkgate::sdk ${ARG_LIBRARIES})
  if(logic_sources)
    add_library(${target}-logic STATIC ${logic_sources})
    target_link_libraries(${target}-logic PUBLIC ${link_to})
    target_include_directories(${target}-logic PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    set_target_properties(${target}-logic PROPERTIES POSITION_INDEPENDENT_CODE ON
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    set(link_to ${target}-logic)
  endif()

  add_library(${target} SHARED ${entry_sources})
  target_link_libraries(${target} PRIVATE ${link_to})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${LINKGATE_PLUGIN_OUTPUT_DIR}")
  if(NOT LINKGATE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY
      "${CMAKE_BINARY_DIR}/plugins")
  endif()
  # Everything a plugin needs must be resolved at link time, not when the host loads it.
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
endfunction()
