# Installs the SDK to a temporary prefix, builds an out-of-tree plugin against it alone, and
# checks that the server accepts the plugin and validates its config block.
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DLINKGATE=... -P install_and_build.cmake
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
# check-config opens what serve opens, relative to where it runs: the templates, and data/ for
# keys and databases. It runs in WORK_DIR, with the checkout's configs/ linked in.
file(MAKE_DIRECTORY ${WORK_DIR})
file(CREATE_LINK ${SOURCE_DIR}/configs ${WORK_DIR}/configs SYMBOLIC)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
    WORKING_DIRECTORY ${WORK_DIR})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}${err}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component Unspecified)
# lib/cmake, or lib/<multiarch>/cmake under a /usr prefix on Debian.
file(GLOB_RECURSE sdk_config ${prefix}/lib*/linkgate-sdkConfig.cmake)
if(NOT sdk_config)
  message(FATAL_ERROR "not installed: lib/.../cmake/linkgate-sdk/linkgate-sdkConfig.cmake")
endif()
get_filename_component(cmake_dir ${sdk_config} DIRECTORY)
foreach(f ${prefix}/include/linkgate/sdk/sdk.h ${cmake_dir}/linkgate-sdkConfigVersion.cmake
          ${cmake_dir}/LinkgatePlugin.cmake)
  if(NOT EXISTS ${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
if(EXISTS ${prefix}/bin/linkgate OR EXISTS ${prefix}/etc/linkgate)
  message(FATAL_ERROR "the SDK's component installed the server too")
endif()

file(READ ${cmake_dir}/linkgate-sdkConfigVersion.cmake version_file)
if(NOT version_file MATCHES "set\\(LINKGATE_SDK_ABI_VERSION [0-9]+\\)" OR
   NOT version_file MATCHES "PACKAGE_VERSION \"[0-9]+\\.[0-9]+\\.[0-9]+\"")
  message(FATAL_ERROR "the version file lacks the SDK or ABI version:\n${version_file}")
endif()

run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/sdk/out_of_tree_plugin -B ${WORK_DIR}/build -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
if(NOT EXISTS ${WORK_DIR}/build/plugins/linkgate-delivery-stdout.so)
  message(FATAL_ERROR "the out-of-tree plugin was not built")
endif()

file(WRITE ${WORK_DIR}/good.yaml "
plugins: { search_paths: [${WORK_DIR}/build/plugins, ${BUILD_DIR}/plugins] }
token: { plugin: jwt }
delivery: [ { plugin: stdout, for: email, config: { prefix: hello } } ]
users: { plugin: sql }
")
run(${LINKGATE} check-config --config ${WORK_DIR}/good.yaml)

file(WRITE ${WORK_DIR}/bad.yaml "
plugins: { search_paths: [${WORK_DIR}/build/plugins, ${BUILD_DIR}/plugins] }
token: { plugin: jwt }
delivery: [ { plugin: stdout, for: email, config: { prefx: hello } } ]
users: { plugin: sql }
")
execute_process(COMMAND ${LINKGATE} check-config --config ${WORK_DIR}/bad.yaml RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "delivery\\[0\\]\\.config\\.prefx: unknown key for plugin stdout")
  message(FATAL_ERROR "a typo in the plugin's block was not caught: ${err}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "SDK installed, out-of-tree plugin built and accepted")
