/* test_cli_build.c — what a build system relies on when it runs `dlc`: the
 * header is named after the output (two models in one directory keep their
 * own), `dlc --version`, the version and model SHA-256 recorded in the
 * header and the descriptor, and the dependency file listing the model's
 * weight files. The SHA-256 oracle is coreutils' sha256sum. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_helpers.h"
#include "helpers.h"

#define FIXTURES DLC_SOURCE_DIR "/tests/fixtures"

TestSuite(cli_build, .init = tmp_setup, .fini = tmp_teardown);

/* The first line of a shell command's output (malloc'd). */
static char *shell_line(const char *cmd) {
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p, "popen %s", cmd);
  char buf[512] = "";
  char *got = fgets(buf, sizeof buf, p);
  pclose(p);
  cr_assert_not_null(got, "no output from %s", cmd);
  buf[strcspn(buf, "\n")] = '\0';
  return strdup(buf);
}

Test(cli_build, version_is_the_project_version) {
  cli_result r = DLC("--version");
  expect_status(&r, 0, "--version");
  char *want = th_read_file(DLC_SOURCE_DIR "/VERSION", NULL);
  cr_assert_not_null(want);
  want[strcspn(want, "\n")] = '\0';
  char line[128];
  snprintf(line, sizeof line, "dlc %s\n", want);
  cr_expect_str_eq(r.out, line);
  free(want);
  cli_free(&r);
}

Test(cli_build, header_is_named_after_the_output) {
  const char *relu = FIXTURES "/relu/model.json";
  const char *add = FIXTURES "/add_broadcast/model.json";
  cli_result r = DLC(relu, "-o", tmp("sq.o"), "--name", "sq");
  expect_status(&r, 0, "relu -o sq.o");
  cli_free(&r);
  r = DLC(add, "-o", tmp("other.model.o"), "--name", "other");
  expect_status(&r, 0, "add -o other.model.o");
  cli_free(&r);
  cr_expect(access(tmp("model.h"), F_OK) != 0, "model.h written");
  char *sq = th_read_file(tmp("sq.h"), NULL);
  char *other = th_read_file(tmp("other.model.h"), NULL);
  cr_assert(sq && other, "sq.h or other.model.h missing");
  cr_expect(strstr(sq, "SQ_NUM_INPUTS") && !strstr(sq, "OTHER_"), "%s", sq);
  cr_expect(strstr(other, "OTHER_NUM_INPUTS"), "%s", other);
  free(sq);
  free(other);
}

Test(cli_build, header_and_descriptor_say_what_they_were_built_from) {
  const char *model = FIXTURES "/relu/model.json";
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "sha256sum %s | cut -d' ' -f1", model);
  char *sha = shell_line(cmd);
  char *version = shell_line("head -n1 " DLC_SOURCE_DIR "/VERSION");
  cli_result r = DLC(model, "-o", tmp("r.o"), "--name", "r");
  expect_status(&r, 0, "compile");
  cli_free(&r);
  char *h = th_read_file(tmp("r.h"), NULL);
  cr_assert_not_null(h);
  char want[256];
  snprintf(want, sizeof want, "#define R_MODEL_SHA256 \"%s\"", sha);
  cr_expect(strstr(h, want), "no '%s' in:\n%s", want, h);
  snprintf(want, sizeof want, "#define R_DLC_VERSION \"%s\"", version);
  cr_expect(strstr(h, want), "no '%s' in:\n%s", want, h);
  free(h);
  /* The descriptor carries the same strings: a program prints them. */
  FILE *f = fopen(tmp("p.c"), "w");
  cr_assert_not_null(f);
  fputs("#include <stdio.h>\n#include \"r.h\"\n#include \"dlcrt.h\"\n"
        "int main(void) {\n"
        "  if (dlcrt_model_check(&r_model) != DLCRT_OK) return 1;\n"
        "  printf(\"%s %s\\n\", r_model.dlc_version, r_model.model_sha256);\n"
        "  return 0;\n}\n", f);
  fclose(f);
  snprintf(cmd, sizeof cmd,
           "cc" SAN_FLAGS " -I%s -I%s/runtime %s/p.c %s/r.o %s/libdlcrt.a "
           "-lm -lpthread -o %s/p && %s/p", tmp_dir, DLC_SOURCE_DIR, tmp_dir, tmp_dir,
           DLC_BINARY_DIR, tmp_dir, tmp_dir);
  char *line = shell_line(cmd);
  snprintf(want, sizeof want, "%s %s", version, sha);
  cr_expect_str_eq(line, want);
  free(line);
  free(sha);
  free(version);
}

Test(cli_build, depfile_lists_the_model_and_its_weight_files) {
  const char *onnx = DLC_SOURCE_DIR "/tests/onnx/convbn_op13.onnx";
  cli_result r = DLC("import", onnx, "-o", tmp("cb.json"));
  expect_status(&r, 0, "import");
  cli_free(&r);
  cr_assert(access(tmp("cb.bin"), F_OK) == 0, "import wrote no cb.bin");
  r = DLC(tmp("cb.json"), "-o", tmp("cb.o"), "--depfile", tmp("cb.d"));
  expect_status(&r, 0, "compile with --depfile");
  cli_free(&r);
  char *dep = th_read_file(tmp("cb.d"), NULL);
  cr_assert_not_null(dep);
  char want[512];
  snprintf(want, sizeof want, "%s:", tmp("cb.o"));
  cr_expect(!strncmp(dep, want, strlen(want)), "%s", dep);
  cr_expect(strstr(dep, tmp("cb.json")) && strstr(dep, tmp("cb.bin")), "%s",
            dep);
  free(dep);
}
