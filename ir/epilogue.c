/* epilogue.c — reference semantics of fused epilogues (dlc_epilogue):
 * y = act2(act1(op(x...)) + residual). The interpreter applies them after
 * the op's reference kernel; codegen applies the same arithmetic in
 * registers, and the tests hold it to this version. */
#include <math.h>

#include "ir.h"

int dlc_node_op_inputs(const dlc_node *n) {
  return n->n_inputs - (n->epilogue ? n->epilogue->n_extra_inputs : 0);
}

const char *dlc_act_name(dlc_act_kind k) {
  static const char *names[] = {
      [DLC_ACT_NONE] = "None",           [DLC_ACT_RELU] = "Relu",
      [DLC_ACT_CLIP] = "Clip",           [DLC_ACT_LEAKY_RELU] = "LeakyRelu",
      [DLC_ACT_PRELU] = "PRelu",         [DLC_ACT_SIGMOID] = "Sigmoid",
      [DLC_ACT_TANH] = "Tanh",           [DLC_ACT_HARD_SIGMOID] = "HardSigmoid",
      [DLC_ACT_HARD_SWISH] = "HardSwish", [DLC_ACT_SILU] = "SiLU",
      [DLC_ACT_ELU] = "Elu",
  };
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static float sigmoid(float x) {
  /* stable for large |x|: never exponentiate a large positive number */
  if (x >= 0)
    return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

float dlc_activation_apply(const dlc_activation *a, float x, float slope) {
  switch (a->kind) {
  case DLC_ACT_NONE: return x;
  case DLC_ACT_RELU: return x > 0 ? x : 0.0f;
  case DLC_ACT_CLIP: return x < a->alpha ? a->alpha : x > a->beta ? a->beta : x;
  case DLC_ACT_LEAKY_RELU: return x >= 0 ? x : a->alpha * x;
  case DLC_ACT_PRELU: return x >= 0 ? x : slope * x;
  case DLC_ACT_SIGMOID: return sigmoid(x);
  case DLC_ACT_TANH: return tanhf(x);
  case DLC_ACT_HARD_SIGMOID: {
    float y = a->alpha * x + a->beta;
    return y < 0 ? 0.0f : y > 1 ? 1.0f : y;
  }
  case DLC_ACT_HARD_SWISH: {
    float y = x / 6.0f + 0.5f;
    return x * (y < 0 ? 0.0f : y > 1 ? 1.0f : y);
  }
  case DLC_ACT_SILU: return x * sigmoid(x);
  case DLC_ACT_ELU: return x >= 0 ? x : a->alpha * (expf(x) - 1.0f);
  }
  return x;
}

static float slope_at(const dlc_activation *a, const dlc_tensor *const *in,
                      const dlc_tensor *out, int64_t i) {
  if (a->kind != DLC_ACT_PRELU)
    return 0.0f;
  const dlc_tensor *s = in[a->slope_input];
  return ((const float *)s->data)[dlc_broadcast_index(s, out, i)];
}

void dlc_epilogue_apply(const dlc_node *n, const dlc_tensor *const *in,
                        dlc_tensor *out) {
  const dlc_epilogue *e = n->epilogue;
  if (!e)
    return;
  DLC_ASSERT(out->dtype == DLC_DT_FLOAT32);
  float *y = out->data;
  const dlc_tensor *res = e->residual_input >= 0 ? in[e->residual_input] : NULL;
  int64_t count = dlc_tensor_numel(out);
  for (int64_t i = 0; i < count; i++) {
    float v = dlc_activation_apply(&e->act1, y[i], slope_at(&e->act1, in, out, i));
    if (res)
      v += ((const float *)res->data)[dlc_broadcast_index(res, out, i)];
    y[i] = dlc_activation_apply(&e->act2, v, slope_at(&e->act2, in, out, i));
  }
  /* a blocked convolution's padding lanes stay zero whatever the epilogue
   * makes of zero (a Sigmoid gives 0.5) */
  if (n->op == DLC_OP_CONV_NCHWC && n->inputs[1])
    dlc_blocked_zero_padding(y, out, n->inputs[1]->type.dims[0]);
}
