# dlc_add_model.cmake — dlc_add_model(), installed with the CMake package.
#
#   dlc_add_model(<target> MODEL m.onnx [NAME prefix] [CPU cpu]
#                 [TARGET_TRIPLE triple] [BATCH n] [OPT 0|1|2|3]
#                 [OPTIONS extra dlc options...])
#
# Runs dlc at build time on MODEL (relative paths: to the current source
# dir), writing ${CMAKE_CURRENT_BINARY_DIR}/dlc/<NAME>/<NAME>.o and <NAME>.h
# (NAME defaults to the model file's stem), adds the object to <target>, the
# header's directory to its include path and dlc::dlcrt to its libraries. The
# model is re-compiled when it, any weight file it reads (dlc --depfile), or
# dlc itself changes. The dlc command is dlc::dlc when the compiler was
# installed, else the DLC_EXECUTABLE cache variable (a host dlc, e.g. when
# only a cross-built runtime is installed).
set(DLC_EXECUTABLE "" CACHE FILEPATH
    "dlc command used by dlc_add_model when the package has no dlc::dlc")

function(_dlc_model_command out_var)
  if(TARGET dlc::dlc)
    set(${out_var} $<TARGET_FILE:dlc::dlc> PARENT_SCOPE)
  elseif(DLC_EXECUTABLE)
    set(${out_var} ${DLC_EXECUTABLE} PARENT_SCOPE)
  else()
    message(FATAL_ERROR "dlc_add_model: this dlc package has no dlc command "
                        "(a runtime-only install); set DLC_EXECUTABLE")
  endif()
endfunction()

function(dlc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 A "PROFILE"
                        "MODEL;NAME;CPU;TARGET_TRIPLE;BATCH;OPT" "OPTIONS")
  if(A_UNPARSED_ARGUMENTS OR NOT A_MODEL)
    message(FATAL_ERROR "dlc_add_model(${target}): usage: dlc_add_model("
            "TARGET MODEL file [NAME n] [CPU c] [TARGET_TRIPLE t] [BATCH n] "
            "[OPT level] [OPTIONS ...]); got: ${A_UNPARSED_ARGUMENTS}")
  endif()
  if(A_PROFILE)
    message(FATAL_ERROR "dlc_add_model(${target}): PROFILE: this version of "
            "dlc has no per-layer profiling build yet")
  endif()
  get_filename_component(model ${A_MODEL} ABSOLUTE
                         BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(name ${A_NAME})
  if(NOT name)
    get_filename_component(name ${model} NAME_WLE)
  endif()
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/dlc/${name})
  set(args ${model} -o ${dir}/${name}.o --depfile ${dir}/${name}.d)
  if(A_NAME)
    list(APPEND args --name ${A_NAME})
  endif()
  foreach(pair "CPU;--cpu" "TARGET_TRIPLE;--target" "BATCH;--batch")
    list(GET pair 0 key)
    list(GET pair 1 flag)
    if(A_${key})
      list(APPEND args ${flag} ${A_${key}})
    endif()
  endforeach()
  if(DEFINED A_OPT)
    list(APPEND args -O${A_OPT})
  endif()
  list(APPEND args ${A_OPTIONS})
  _dlc_model_command(dlc)
  add_custom_command(
    OUTPUT ${dir}/${name}.o ${dir}/${name}.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${dlc} ${args}
    DEPENDS ${model} ${dlc}
    DEPFILE ${dir}/${name}.d
    COMMENT "dlc: compiling ${A_MODEL}"
    VERBATIM)
  set_source_files_properties(${dir}/${name}.o PROPERTIES
                              EXTERNAL_OBJECT TRUE GENERATED TRUE)
  target_sources(${target} PRIVATE ${dir}/${name}.o ${dir}/${name}.h)
  target_include_directories(${target} PRIVATE ${dir})
  target_link_libraries(${target} PRIVATE dlc::dlcrt)
endfunction()
