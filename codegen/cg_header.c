/* cg_header.c — writes model.h: a self-contained C header (usable from C++)
 * that declares everything an application needs to call a compiled model.
 * It includes only <stdint.h>; the descriptor type is declared incomplete
 * (include runtime/dlcrt.h to read its fields). docs/abi.md documents it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codegen/cg.h"
#include "runtime/dlcrt.h"

static void upper(const char *s, char *out, size_t size) {
  size_t n = 0;
  for (; *s && n + 1 < size; s++)
    out[n++] = (char)toupper((unsigned char)*s);
  out[n] = '\0';
}

/* C string literal of s (names may hold quotes or backslashes). '?' is
 * escaped too: "??=" and its kin are trigraphs under -std=c11. */
static void put_cstr(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\' || *s == '?')
      fprintf(f, "\\%c", *s);
    else if (isprint((unsigned char)*s))
      fputc(*s, f);
    else
      fprintf(f, "\\%03o", (unsigned char)*s);
  }
  fputc('"', f);
}

static void put_tensor(const cg_ctx *c, FILE *f, const char *P,
                       const char *kind, int i, const dlc_value *v,
                       bool input) {
  int64_t dims[DLC_MAX_RANK];
  int rank = cg_abi_shape(c, v, input, dims);
  fprintf(f, "#define %s_%s%d_NAME ", P, kind, i);
  put_cstr(f, v->name);
  fprintf(f, "\n#define %s_%s%d_RANK %d\n#define %s_%s%d_SHAPE {", P, kind, i,
          rank, P, kind, i);
  for (int k = 0; k < rank; k++)
    fprintf(f, "%s%lld", k ? ", " : "", (long long)dims[k]);
  fprintf(f, "}\n#define %s_%s%d_SIZE %lld /* floats%s */\n", P, kind, i,
          (long long)cg_abi_numel(c, v),
          c->batched && dims[0] == -1 ? ", per batch item" : "");
}

/* The runtime's status table, as the identical macros of dlcrt.h. */
static void put_status_codes(FILE *f) {
  fprintf(f, "/* Status codes (the same definitions as runtime/dlcrt.h). */\n");
#define PUT_STATUS_ROW(name, value, message)                                   \
  fprintf(f, "#define %s %d\n", #name, value);
  DLCRT_STATUS_TABLE(PUT_STATUS_ROW)
#undef PUT_STATUS_ROW
  fprintf(f, "\n");
}

static void put_functions(const cg_ctx *c, FILE *f) {
  const char *p = c->prefix;
  fprintf(f,
          "/* Runs the model (batch 1 / the fixed shapes): inputs[i] and "
          "outputs[i]\n * point to float buffers of the sizes above (not "
          "overlapping); workspace\n * to WORKSPACE_SIZE bytes aligned to "
          "WORKSPACE_ALIGN (may be NULL when\n * the size is 0). Returns "
          "DLCRT_OK or a DLCRT_ERR_ code. Thread-safe with\n * separate "
          "workspaces; never allocates, prints or aborts. */\n"
          "int %s_run(const float *const *inputs, float *const *outputs,\n"
          "           void *workspace);\n"
          "/* Runs a batch of n items (n must be 1 unless BATCHED): "
          "buffers hold n\n * items one after the other (SIZE floats "
          "each, for sizes marked per batch\n * item); the same workspace "
          "serves every n. */\n"
          "int %s_run_batch(int64_t n, const float *const *inputs,\n"
          "                 float *const *outputs, void *workspace);\n"
          "/* Workspace bytes for batch n (WORKSPACE_SIZE for every n). */\n"
          "uint64_t %s_workspace_size(int64_t n);\n"
          "/* A message for a status code returned by the run functions. */\n"
          "const char *%s_status_message(int status);\n\n"
          "/* The descriptor; its type is in runtime/dlcrt.h. */\n"
          "struct dlc_model;\nextern const struct dlc_model %s_model;\n\n",
          p, p, p, p, p);
}

static void put_body(const cg_ctx *c, FILE *f, const char *P) {
  const dlc_graph *g = c->g;
  fprintf(f, "#define %s_NUM_INPUTS %zu\n#define %s_NUM_OUTPUTS %zu\n", P,
          g->inputs.n, P, g->outputs.n);
  for (size_t i = 0; i < g->inputs.n; i++)
    put_tensor(c, f, P, "INPUT", (int)i, g->inputs.items[i], true);
  for (size_t i = 0; i < g->outputs.n; i++)
    put_tensor(c, f, P, "OUTPUT", (int)i, g->outputs.items[i], false);
  fprintf(f, "#define %s_WORKSPACE_SIZE %lld /* bytes, for batch 1 */\n"
          "#define %s_WORKSPACE_ALIGN %lld\n#define %s_BATCHED %d\n",
          P, (long long)c->plan.workspace_size, P, (long long)DLC_PLAN_ALIGN,
          P, c->batched);
  fprintf(f, "#define %s_TARGET ", P);
  put_cstr(f, c->t->triple);
  fprintf(f, "\n#define %s_CPU ", P);
  put_cstr(f, c->t->cpu);
  fprintf(f, "\n#define %s_DLC_VERSION ", P);
  put_cstr(f, dlc_version());
  fprintf(f, "\n#define %s_MODEL_SHA256 ", P);
  put_cstr(f, c->opt->model_sha256 ? c->opt->model_sha256 : "");
  fprintf(f, "\n\n");
}

bool cg_write_header(const cg_ctx *c, const char *path, const char *shown,
                     dlc_diag *d) {
  FILE *f = fopen(path, "w");
  if (!f) {
    dlc_diag_error(d, "", "cannot write '%s': %s", shown, strerror(errno));
    return false;
  }
  char P[160];
  upper(c->prefix, P, sizeof P);
  fprintf(f, "/* Generated by dlc %s: the interface of the compiled model "
          "'%s'.\n * Link the object with libdlcrt.a (and -lm). See "
          "docs/abi.md. */\n"
          "#ifndef %s_MODEL_H\n#define %s_MODEL_H\n\n#include <stdint.h>\n\n"
          "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n",
          dlc_version(), c->prefix, P, P);
  put_status_codes(f);
  put_body(c, f, P);
  put_functions(c, f);
  cg_profile_put_header(c, f, P);
  fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif /* %s_MODEL_H */\n", P);
  bool ok = !ferror(f);
  ok = fclose(f) == 0 && ok;
  if (!ok)
    dlc_diag_error(d, "", "cannot write '%s': %s", shown,
                   strerror(errno ? errno : EIO));
  return ok;
}
