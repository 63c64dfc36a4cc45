/* cg_inprocess.c — a compiled model inside this process: compile to a temporary
 * shared object, dlopen it, and drive it through its exported descriptor,
 * exactly as an application loading models at run time would. Batched
 * models run whole batches through PREFIX_run_batch. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codegen/cg.h"
#include "ir/outfiles.h"
#include "runtime/dlcrt.h"

struct dlc_compiled {
  void *handle;
  const struct dlc_model *model;
  const dlc_graph *g;
  void *workspace;
  char path[512];
  char prefix[128];
};

/* The file is removed as soon as it is loaded (the mapping stays), so that
 * nothing is left in $TMPDIR however the process ends afterwards; until
 * then a fatal signal removes it (dlc_tempfile_track). */
static bool load_so(dlc_compiled *m, const char *prefix, dlc_diag *d) {
  m->handle = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
  unlink(m->path);
  dlc_tempfile_untrack(m->path);
  if (!m->handle) {
    dlc_diag_error(d, "", "cannot load the compiled model: %s", dlerror());
    return false;
  }
  char sym[160];
  snprintf(sym, sizeof sym, "%s_model", prefix);
  m->model = dlsym(m->handle, sym);
  if (!m->model) {
    dlc_diag_error(d, "", "the compiled model lacks '%s'", sym);
    return false;
  }
  int st = dlcrt_model_check(m->model);
  if (st != DLCRT_OK) {
    dlc_diag_error(d, "", "cannot run the compiled model: %s",
                   dlcrt_status_message(st));
    return false;
  }
  m->workspace = dlcrt_workspace_create(m->model, 1);
  if (!m->workspace) {
    dlc_diag_error(d, "", "cannot allocate the workspace");
    return false;
  }
  return true;
}

dlc_status dlc_compiled_create(const dlc_graph *g, const dlc_schedule *s,
                               const dlc_codegen_options *opt,
                               dlc_compiled **out, dlc_diag *d) {
  *out = NULL;
  dlc_compiled *m = calloc(1, sizeof *m);
  DLC_ASSERT(m);
  m->g = g;
  const char *tmpdir = getenv("TMPDIR");
  snprintf(m->path, sizeof m->path, "%s/dlc-model-XXXXXX.so",
           tmpdir ? tmpdir : "/tmp");
  int fd = dlc_tempfile_create(m->path, 3);
  if (fd < 0) {
    dlc_diag_error(d, "", "cannot create a temporary file in '%s'",
                   tmpdir ? tmpdir : "/tmp");
    free(m);
    return DLC_ERR_IO;
  }
  close(fd);
  dlc_codegen_options o = *opt;
  o.output_path = m->path;
  o.emit = DLC_EMIT_OBJ;
  o.shared = true;
  o.header_path = NULL;
  dlc_status st = dlc_codegen_compile(g, s, &o, d);
  dlc_codegen_prefix(g, opt->prefix, m->prefix, sizeof m->prefix);
  if (st == DLC_OK && !load_so(m, m->prefix, d))
    st = DLC_ERR_UNSUPPORTED;
  if (st != DLC_OK) {
    dlc_compiled_destroy(m);
    return st;
  }
  *out = m;
  return DLC_OK;
}

void dlc_compiled_destroy(dlc_compiled *m) {
  if (!m)
    return;
  dlcrt_free(m->workspace);
  if (m->handle)
    dlclose(m->handle);
  unlink(m->path); /* still there when compiling failed */
  dlc_tempfile_untrack(m->path);
  free(m);
}

const struct dlc_model *dlc_compiled_model(const dlc_compiled *m) {
  return m->model;
}

void *dlc_compiled_symbol(const dlc_compiled *m, const char *name) {
  return dlsym(m->handle, name);
}

const struct dlc_profile *dlc_compiled_profile(const dlc_compiled *m) {
  char sym[160];
  snprintf(sym, sizeof sym, "%s_profile", m->prefix);
  return dlc_compiled_symbol(m, sym);
}

int dlc_compiled_run_raw(dlc_compiled *m, const float *const *inputs,
                         float *const *outputs) {
  return m->model->run(inputs, outputs, m->workspace);
}

int dlc_compiled_run_batch_raw(dlc_compiled *m, int64_t n,
                               const float *const *inputs,
                               float *const *outputs) {
  return m->model->run_batch(n, inputs, outputs, m->workspace);
}

/* Whether descriptor tensor t has the symbolic batch as its leading dim. */
static bool batch_leading(const struct dlc_model_tensor *t) {
  return t->rank > 0 && t->shape[0] == -1;
}

/* Checks the inputs against the declared types; a symbolic batch dim takes
 * any size >= 1, the same for every input. Sets *batch (1 if none). */
static bool check_inputs(const dlc_compiled *m, const dlc_tensor *in, int n,
                         int64_t *batch, dlc_diag *d) {
  if (n != m->model->n_inputs) {
    dlc_diag_error(d, "", "the model takes %d inputs, not %d",
                   m->model->n_inputs, n);
    return false;
  }
  *batch = -1;
  for (int i = 0; i < n; i++) {
    dlc_tensor want = m->g->inputs.items[i]->type;
    bool sym = batch_leading(&m->model->inputs[i]);
    if (sym && in[i].rank > 0) {
      want.dims[0] = *batch < 0 ? in[i].dims[0] : *batch;
      *batch = want.dims[0];
    }
    if (in[i].dtype != DLC_DT_FLOAT32 || !dlc_tensor_same_shape(&in[i], &want) ||
        (sym && want.dims[0] < 1)) {
      char a[128], b[128];
      dlc_diag_error(d, "", "input '%s': got %s %s, the compiled model takes "
                     "float32 %s%s", m->model->inputs[i].name,
                     dlc_dtype_name(in[i].dtype), dlc_shape_str(&in[i], a, 128),
                     dlc_shape_str(&want, b, 128),
                     sym ? " (any leading batch size, the same for all)" : "");
      return false;
    }
  }
  if (*batch < 0)
    *batch = 1;
  return true;
}

static void free_outputs(dlc_tensor *outputs, int no) {
  for (int j = 0; j < no; j++) {
    free(outputs[j].data);
    outputs[j].data = NULL;
  }
}

dlc_status dlc_compiled_run(dlc_compiled *m, const dlc_tensor *inputs,
                            int n_inputs, dlc_tensor *outputs, dlc_diag *d) {
  int64_t batch = 1;
  if (!check_inputs(m, inputs, n_inputs, &batch, d))
    return DLC_ERR_INVALID;
  int no = m->model->n_outputs;
  const float **in = calloc((size_t)n_inputs + 1, sizeof *in);
  float **out = calloc((size_t)no + 1, sizeof *out);
  DLC_ASSERT(in && out);
  for (int i = 0; i < n_inputs; i++)
    in[i] = inputs[i].data;
  for (int j = 0; j < no; j++) {
    outputs[j] = m->g->outputs.items[j]->type;
    outputs[j].data = NULL;
    if (batch_leading(&m->model->outputs[j]))
      outputs[j].dims[0] = batch;
    size_t bytes = dlc_tensor_nbytes(&outputs[j]);
    outputs[j].data = bytes < SIZE_MAX - 4 ? malloc(bytes + 4) : NULL;
    if (!outputs[j].data) { /* sized by the model: an error, not an abort */
      dlc_diag_error(d, "", "cannot allocate output '%s' (%zu bytes)",
                     m->g->outputs.items[j]->name, bytes);
      free_outputs(outputs, j);
      free(in);
      free(out);
      return DLC_ERR_NOMEM;
    }
    out[j] = outputs[j].data;
  }
  int st = m->model->run_batch(batch, in, out, m->workspace);
  free(in);
  free(out);
  if (st != DLCRT_OK) {
    dlc_diag_error(d, "", "the compiled model failed: %s",
                   dlcrt_status_message(st));
    free_outputs(outputs, no);
    return DLC_ERR_INVALID;
  }
  return DLC_OK;
}
