/* cmd_import.c — `dlc import model.onnx -o model.json`: converts an ONNX
 * model to the dlc-graph JSON format (weights in model.bin beside it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"
#include "frontend/onnx.h"
#include "cli/cli.h"

static const char IMPORT_HELP[] =
    "usage: dlc import MODEL.onnx -o MODEL.json\n"
    "\n"
    "Reads an ONNX model (opsets 11 to 21; docs/onnx.md) and writes it as a\n"
    "dlc-graph JSON file, with the weights in a .bin file of the same stem\n"
    "beside it. Every command that takes a MODEL also reads .onnx directly.\n";

int dlc_cmd_import(int argc, char **argv) {
  const char *model = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *value = NULL;
    if (dlc_cli_is_help(argv[i])) {
      fputs(IMPORT_HELP, stdout);
      return DLC_EXIT_OK;
    }
    int r = dlc_cli_option(argc, argv, &i, "-o", &value);
    if (r < 0)
      return DLC_EXIT_USAGE;
    if (r > 0) {
      out = value;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != '\0')
      return dlc_cli_usage_error("import: unknown option '%s'", argv[i]);
    if (model)
      return dlc_cli_usage_error("import: more than one model given");
    model = argv[i];
  }
  if (!model || !out)
    return dlc_cli_usage_error("import: usage: dlc import MODEL.onnx -o "
                               "MODEL.json");
  dlc_diag d;
  dlc_diag_init(&d, model);
  /* The .bin is written only for large weights, but refused either way. */
  char *bin = dlc_json_bin_path(out);
  dlc_cli_file in = {model, "model", false};
  dlc_cli_file outs[2] = {{out, "-o", false}, {bin, "-o (weights)", false}};
  dlc_status st = DLC_ERR_INVALID;
  if (dlc_cli_outputs_safe(&in, 1, outs, 2, &d))
    st = dlc_onnx_import(model, out, dlc_cli_load_limits(), &d);
  free(bin);
  if (st != DLC_OK && dlc_diag_count(&d) == 0)
    dlc_diag_error(&d, "", "import failed");
  dlc_diag_print(&d, stderr);
  dlc_diag_free(&d);
  if (st == DLC_OK)
    printf("%s: wrote %s\n", model, out);
  return st == DLC_OK ? DLC_EXIT_OK : DLC_EXIT_BAD_INPUT;
}
