/* ops_dlc.c — dlc's own operators (domain "dlc"), the forms the passes
 * rewrite ONNX patterns into (docs/operators.md, "dlc-domain operators"):
 *
 *   ScaleShift(X, scale[C], shift[C])  y = x * scale[c] + shift[c], c = axis 1
 *   ChannelShuffle(X) group=g          out[n, b*g + a] = in[n, a*(C/g) + b]
 *   Gelu(X)                            0.5 x (1 + erf(x / sqrt 2))
 *   FusedElementwise(X, operands...)   a chain of element-wise steps, one loop
 *
 * Like the other op files: shape inference reports every problem through
 * dlc_op_error, and the reference kernels compute in double and round to
 * float32 once per original operator, so a rewritten graph matches the
 * graph it came from to the last bit or two. */
#include <math.h>
#include <string.h>

#include "ops_impl.h"

const dlc_attr_schema dlc_attrs_channel_shuffle[] = {
    {.name = "group", .kind = DLC_ATTR_INT, .required = true},
    {.name = NULL}};

/* FusedElementwise's program: one entry per step in each list (see
 * parse_program). */
const dlc_attr_schema dlc_attrs_fused_elementwise[] = {
    {.name = "ops", .kind = DLC_ATTR_STRINGS, .required = true},
    {.name = "operands", .kind = DLC_ATTR_INTS, .required = true},
    {.name = "swapped", .kind = DLC_ATTR_INTS},
    {.name = "alpha", .kind = DLC_ATTR_FLOATS},
    {.name = "beta", .kind = DLC_ATTR_FLOATS},
    {.name = NULL}};

/* ---------------------------------------------------------------- helpers */

static const dlc_tensor *need_f32_in(dlc_op_ctx *c, int i) {
  const dlc_tensor *t = i < c->n_inputs ? c->in[i] : NULL;
  if (!t) {
    dlc_op_error(c, "input %d is required", i);
    return NULL;
  }
  if (t->dtype != DLC_DT_FLOAT32) {
    dlc_op_error(c, "input %d must be float32, got %s", i,
                 dlc_dtype_name(t->dtype));
    return NULL;
  }
  return t;
}

static bool out_like(dlc_op_ctx *c, const dlc_tensor *x) {
  if (c->n_outputs < 1)
    return dlc_op_error(c, "the node has no output");
  dlc_tensor_set_shape(&c->out[0], x->dtype, x->rank, x->dims);
  return true;
}

/* True when t broadcasts to x's shape without enlarging it (numpy rules,
 * one direction): the operand of an element-wise step. */
static bool broadcasts_into(const dlc_tensor *t, const dlc_tensor *x) {
  if (t->rank > x->rank)
    return false;
  for (int i = 1; i <= t->rank; i++) {
    int64_t d = t->dims[t->rank - i];
    if (d != 1 && d != x->dims[x->rank - i])
      return false;
  }
  return true;
}

/* ------------------------------------------------------------- ScaleShift */

bool dlc_infer_scale_shift(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32_in(c, 0);
  const dlc_tensor *s = need_f32_in(c, 1), *b = need_f32_in(c, 2);
  if (!x || !s || !b)
    return false;
  if (x->rank < 2)
    return dlc_op_error(c, "X must have rank >= 2 (N, C, ...), got %d",
                        x->rank);
  if (dlc_tensor_numel(s) != x->dims[1] || dlc_tensor_numel(b) != x->dims[1])
    return dlc_op_error(c, "scale and shift must have C = %lld elements",
                        (long long)x->dims[1]);
  return out_like(c, x);
}

/* X (N, C, inner...) -> Y (N, C, inner...) */
bool dlc_ref_scale_shift(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  const float *xd = x->data, *s = c->in[1]->data, *b = c->in[2]->data;
  float *y = c->out[0].data;
  int64_t channels = x->dims[1], inner = 1;
  for (int i = 2; i < x->rank; i++)
    inner *= x->dims[i];
  int64_t n = dlc_tensor_numel(x);
  for (int64_t i = 0; i < n; i++) {
    int64_t ch = (i / inner) % channels;
    y[i] = (float)((double)xd[i] * s[ch] + b[ch]);
  }
  return true;
}

/* --------------------------------------------------------- ChannelShuffle */

bool dlc_infer_channel_shuffle(dlc_op_ctx *c) {
  const dlc_tensor *x = c->n_inputs > 0 ? c->in[0] : NULL;
  if (!x)
    return dlc_op_error(c, "input 0 is required");
  int64_t g = dlc_node_get_int(c->node, "group");
  if (x->rank < 2)
    return dlc_op_error(c, "X must have rank >= 2 (N, C, ...), got %d",
                        x->rank);
  if (g < 1 || x->dims[1] % g != 0)
    return dlc_op_error(c, "group %lld must divide the %lld channels",
                        (long long)g, (long long)x->dims[1]);
  return out_like(c, x);
}

/* Channel a*(C/g) + b of the input goes to channel b*g + a: the transpose
 * of a (g, C/g) channel matrix, whole inner planes at a time. */
bool dlc_ref_channel_shuffle(dlc_op_ctx *c) {
  const dlc_tensor *x = c->in[0];
  int64_t g = dlc_node_get_int(c->node, "group");
  int64_t channels = x->dims[1], per = channels / g, inner = 1;
  for (int i = 2; i < x->rank; i++)
    inner *= x->dims[i];
  size_t es = dlc_dtype_size(x->dtype), plane = (size_t)inner * es;
  const char *src = x->data;
  char *dst = c->out[0].data;
  for (int64_t n = 0; n < x->dims[0]; n++)
    for (int64_t a = 0; a < g; a++)
      for (int64_t b = 0; b < per; b++) {
        int64_t from = n * channels + a * per + b;
        int64_t to = n * channels + b * g + a;
        memcpy(dst + (size_t)to * plane, src + (size_t)from * plane, plane);
      }
  return true;
}

/* ------------------------------------------------------------------ Gelu */

static double gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

bool dlc_infer_gelu(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32_in(c, 0);
  return x && out_like(c, x);
}

bool dlc_ref_gelu(dlc_op_ctx *c) {
  const float *x = c->in[0]->data;
  float *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(c->in[0]);
  for (int64_t i = 0; i < n; i++)
    y[i] = (float)gelu(x[i]);
  return true;
}

/* ------------------------------------------------------- FusedElementwise */

/* The step table (fused_steps.def): the enum is in ir.h. */
static const struct {
  const char *name;
  bool binary;
} step_table[] = {
#define DLC_STEP(id, name, binary) {name, binary},
#include "fused_steps.def"
#undef DLC_STEP
};
_Static_assert(sizeof step_table / sizeof step_table[0] == DLC_STEP_COUNT_,
               "step_table out of step with fused_steps.def");

dlc_step_kind dlc_step_from_name(const char *name) {
  for (int k = 0; k < DLC_STEP_COUNT_; k++)
    if (strcmp(step_table[k].name, name) == 0)
      return (dlc_step_kind)k;
  return DLC_STEP_COUNT_;
}

const char *dlc_step_name(dlc_step_kind k) {
  return (unsigned)k < DLC_STEP_COUNT_ ? step_table[k].name : "?";
}

bool dlc_step_is_binary(dlc_step_kind k) {
  return (unsigned)k < DLC_STEP_COUNT_ && step_table[k].binary;
}

enum { MAX_STEPS = 64 };

typedef struct program {
  int n;
  dlc_step steps[MAX_STEPS];
} program;

static bool parse_step(dlc_op_ctx *c, int i, const char *name, dlc_step *s) {
  s->kind = dlc_step_from_name(name);
  if (s->kind == DLC_STEP_COUNT_)
    return dlc_op_error(c, "step %d: unknown step '%s'", i, name);
  bool binary = dlc_step_is_binary(s->kind);
  if (binary && (s->operand < 1 || s->operand >= c->n_inputs))
    return dlc_op_error(c, "step %d (%s): operand %d is not an input", i,
                        name, s->operand);
  if (!binary && s->operand != -1)
    return dlc_op_error(c, "step %d (%s) is unary: operand must be -1", i,
                        name);
  return true;
}

/* Reads the attributes into p; every list must have one entry per step
 * (swapped, alpha and beta may be omitted: 0). */
static bool parse_program(dlc_op_ctx *c, program *p) {
  const dlc_attr *ops = dlc_node_find_attr(c->node, "ops");
  const int64_t *operands, *swapped;
  const double *alpha, *beta;
  int n_operands = dlc_node_get_ints(c->node, "operands", &operands);
  int n_swapped = dlc_node_get_ints(c->node, "swapped", &swapped);
  int n_alpha = dlc_node_get_floats(c->node, "alpha", &alpha);
  int n_beta = dlc_node_get_floats(c->node, "beta", &beta);
  if (!ops || ops->kind != DLC_ATTR_STRINGS || ops->n < 1 || ops->n > MAX_STEPS)
    return dlc_op_error(c, "'ops' must list 1 to %d steps", MAX_STEPS);
  p->n = ops->n;
  if (n_operands != p->n || (n_swapped && n_swapped != p->n) ||
      (n_alpha && n_alpha != p->n) || (n_beta && n_beta != p->n))
    return dlc_op_error(c, "operands/swapped/alpha/beta must have %d entries",
                        p->n);
  bool ok = true;
  for (int i = 0; i < p->n; i++) {
    dlc_step *s = &p->steps[i];
    s->operand = (int)operands[i];
    s->swapped = n_swapped && swapped[i];
    s->alpha = n_alpha ? alpha[i] : 0;
    s->beta = n_beta ? beta[i] : 0;
    ok &= parse_step(c, i, ops->strings[i], s);
  }
  return ok;
}

bool dlc_infer_fused_elementwise(dlc_op_ctx *c) {
  const dlc_tensor *x = need_f32_in(c, 0);
  program p;
  if (!x || !parse_program(c, &p))
    return false;
  for (int i = 1; i < c->n_inputs; i++) {
    const dlc_tensor *t = need_f32_in(c, i);
    if (!t)
      return false;
    char a[128], b[128];
    if (!broadcasts_into(t, x))
      return dlc_op_error(c, "operand %d %s does not broadcast into X %s", i,
                          dlc_shape_str(t, a, sizeof a),
                          dlc_shape_str(x, b, sizeof b));
  }
  return out_like(c, x);
}

static double sigmoid(double x) {
  if (x >= 0)
    return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

/* One step on one element, with the same arithmetic as the operator the
 * step replaced (ops_unary.c, ops_binary.c). */
static double apply_step(const dlc_step *s, double v, double o) {
  if (s->swapped) {
    double t = v;
    v = o;
    o = t;
  }
  switch (s->kind) {
  case DLC_STEP_RELU: return v < 0 ? 0.0 : v;
  case DLC_STEP_LEAKY_RELU: return v < 0 ? s->alpha * v : v;
  case DLC_STEP_ELU: return v < 0 ? s->alpha * expm1(v) : v;
  case DLC_STEP_SIGMOID: return sigmoid(v);
  case DLC_STEP_TANH: return tanh(v);
  case DLC_STEP_CLIP: return v < s->alpha ? s->alpha : v > s->beta ? s->beta : v;
  case DLC_STEP_HARD_SIGMOID: return clamp01(s->alpha * v + s->beta);
  case DLC_STEP_HARD_SWISH: return v * clamp01(v / 6.0 + 0.5);
  case DLC_STEP_SILU: return (float)v * (double)(float)sigmoid(v);
  case DLC_STEP_GELU: return gelu(v);
  case DLC_STEP_ERF: return erf(v);
  case DLC_STEP_SQRT: return sqrt(v);
  case DLC_STEP_EXP: return exp(v);
  case DLC_STEP_ADD: return v + o;
  case DLC_STEP_SUB: return v - o;
  case DLC_STEP_MUL: return v * o;
  case DLC_STEP_DIV: return v / o;
  case DLC_STEP_POW: return pow((float)v, (float)o);
  case DLC_STEP_PRELU: return v < 0 ? o * v : v;
  case DLC_STEP_COUNT_: break;
  }
  return v;
}

/* For every element: v = x[i]; each step v = round_f32(step(v, operand)). */
bool dlc_ref_fused_elementwise(dlc_op_ctx *c) {
  program p;
  if (!parse_program(c, &p))
    return false;
  const dlc_tensor *x = c->in[0];
  const float *xd = x->data;
  float *y = c->out[0].data;
  int64_t n = dlc_tensor_numel(x);
  for (int64_t i = 0; i < n; i++) {
    float v = xd[i];
    for (int k = 0; k < p.n; k++) {
      const dlc_step *s = &p.steps[k];
      double o = 0;
      if (s->operand > 0) {
        const dlc_tensor *t = c->in[s->operand];
        o = ((const float *)t->data)[dlc_broadcast_index(t, x, i)];
      }
      v = (float)apply_step(s, v, o);
    }
    y[i] = v;
  }
  return true;
}
