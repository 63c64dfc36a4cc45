/* test_codegen_util.h — shared by the test_codegen*.c tests: a libdlcrt.a
 * that can be linked into the shared objects the tests dlopen.
 *
 * The build's own libdlcrt.a is fine for executables, but in a sanitizer
 * build it is instrumented, non-PIC code that `cc -shared` refuses; so the
 * tests build a plain -fPIC copy of the runtime sources once per process (until
 * CMakeLists.txt builds dlcrt with POSITION_INDEPENDENT_CODE). */
#ifndef DLC_TEST_CODEGEN_UTIL_H
#define DLC_TEST_CODEGEN_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static char tcg_runtime_dir[64];

static void tcg_remove_runtime(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tcg_runtime_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", tcg_runtime_dir);
}

static const char *tcg_runtime_for_shared(void) {
  static char path[256];
  if (path[0])
    return path;
  char dir[] = "/tmp/dlc-rt-XXXXXX";
  if (!mkdtemp(dir))
    return NULL;
  snprintf(tcg_runtime_dir, sizeof tcg_runtime_dir, "%s", dir);
  atexit(tcg_remove_runtime);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "cd %s && cc -std=c11 -O2 -fPIC -D_DEFAULT_SOURCE -c %s/runtime/*.c "
           "&& ar rcs libdlcrt.a *.o && rm -f *.o",
           dir, DLC_SOURCE_DIR);
  if (system(cmd) != 0)
    return NULL;
  snprintf(path, sizeof path, "%s/libdlcrt.a", dir);
  return path;
}

#endif
