/* test_ops_math.c — the float arithmetic operators (ir/ops_norm.c,
 * ReduceMean of ir/ops_reduce.c, ir/ops_linalg.c, the activations and maths
 * of ir/ops_unary.c, ir/ops_binary.c's Add..Pow, Dropout): shape inference
 * (and its error messages) and reference kernels against hand-computed values.
 *
 * Unless a comment says otherwise, expected values were worked out by hand
 * (the arithmetic is in the comments; square roots and exponentials to 7
 * digits). A few larger cases are cross-checked against PyTorch 1.13: the
 * torch code that produced those literals is quoted next to them. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define F32(...) ((const float[]){__VA_ARGS__})
#define COUNT(a) ((int64_t)(sizeof(a) / sizeof((a)[0])))

/* float32-level agreement for O(1) values */
#define ATOL 1e-6
#define RTOL 1e-5

static const char *first_msg(const th_node *t) {
  return t->diag.messages.n ? t->diag.messages.items[0] : "(no message)";
}

static void must_run(th_node *t) {
  cr_assert(th_run(t), "node failed: %s", first_msg(t));
}

/* Asserts output 0 has exactly this shape. */
static void expect_shape(const th_node *t, int rank, const int64_t *dims) {
  const dlc_tensor *o = &t->out[0];
  char got[256];
  dlc_shape_str(o, got, sizeof got);
  cr_assert_eq(o->rank, rank, "output rank: want %d, got %s", rank, got);
  for (int i = 0; i < rank; i++)
    cr_assert_eq(o->dims[i], dims[i], "output dim %d: want %lld, got %s", i,
                 (long long)dims[i], got);
}

/* Runs (kernel=true) or infers only, expects failure, and checks that the
 * message names the node and op and contains `needle`. */
static void expect_error(th_node *t, bool kernel, const char *needle) {
  bool ok = kernel ? th_run(t) : th_infer(t);
  cr_assert(!ok, "expected an error containing '%s'", needle);
  char where[128];
  snprintf(where, sizeof where, "node 'n0' (%s)", dlc_op_name(t->node->op));
  cr_assert(dlc_diag_contains(&t->diag, where), "message '%s' lacks '%s'",
            first_msg(t), where);
  cr_assert(dlc_diag_contains(&t->diag, needle), "message '%s' lacks '%s'",
            first_msg(t), needle);
}

/* One-input node over a 1-D float tensor x[0..n). */
static void unary_begin(th_node *t, dlc_op op, dlc_tensor *x, const float *d,
                        int64_t n) {
  *x = th_f32(d, 1, &n);
  th_begin(t, op);
  th_input(t, x);
  th_finish(t, 1);
}

/* Runs and compares all of output 0 with want, which has n elements. */
static void run_expect(th_node *t, const float *want, int64_t n, double atol,
                       double rtol) {
  must_run(t);
  cr_assert_eq(dlc_tensor_numel(&t->out[0]), n, "output element count");
  th_assert_close(t->out[0].data, want, n, atol, rtol);
}

/* ====================================================== BatchNormalization */

Test(batch_norm, per_channel_affine) {
  /* X [1,2,1,2], epsilon 0.
   * ch0: (x - 1.5) / sqrt(0.25) * 2 + 1: x=1 -> -1, x=2 -> 3
   * ch1: (x - 3) / sqrt(4) * 0.5 - 1:    x=3 -> -1, x=4 -> -0.75 */
  dlc_tensor x = th_f32(F32(1, 2, 3, 4), 4, DIMS(1, 2, 1, 2));
  dlc_tensor s = th_f32(F32(2, 0.5f), 1, DIMS(2));
  dlc_tensor b = th_f32(F32(1, -1), 1, DIMS(2));
  dlc_tensor m = th_f32(F32(1.5f, 3), 1, DIMS(2));
  dlc_tensor v = th_f32(F32(0.25f, 4), 1, DIMS(2));
  th_node t;
  th_begin(&t, DLC_OP_BATCH_NORMALIZATION);
  th_input(&t, &x);
  th_const(&t, &s);
  th_const(&t, &b);
  th_const(&t, &m);
  th_const(&t, &v);
  th_finish(&t, 1);
  dlc_node_set_float(t.g, t.node, "epsilon", 0.0);
  run_expect(&t, F32(-1, 3, -1, -0.75f), 4, ATOL, RTOL);
  expect_shape(&t, 4, DIMS(1, 2, 1, 2));
  th_free(&t);
}

Test(batch_norm, default_epsilon_is_1e_5) {
  /* var 0: (0.01 - 0) / sqrt(0 + 1e-5) = 3.1622777; rank-2 X (N, C). */
  dlc_tensor x = th_f32(F32(0.01f), 2, DIMS(1, 1));
  dlc_tensor one = th_f32(F32(1), 1, DIMS(1));
  dlc_tensor zero = th_f32(F32(0), 1, DIMS(1));
  th_node t;
  th_begin(&t, DLC_OP_BATCH_NORMALIZATION);
  th_input(&t, &x);
  th_const(&t, &one);
  th_const(&t, &zero);
  th_const(&t, &zero);
  th_const(&t, &zero);
  th_finish(&t, 1);
  run_expect(&t, F32(3.1622777f), 1, 1e-5, 1e-5);
  th_free(&t);
}

Test(batch_norm, matches_torch) {
  /* torch: x = the 24 values below reshaped (2,3,4);
   * F.batch_norm(x, mean=[0.5,-1,2], var=[1,0.25,4], weight=[2,0.5,-1],
   *              bias=[0,1,-0.5], training=False, eps=1e-3) */
  static const float xv[] = {0.5f,  -1,     2,    3.5f, 1,  0, -2.5f, 4,
                             -0.5f, 1.5f,   2.5f, -3,   2,  2, -1,    0.25f,
                             1.75f, -0.75f, 3,    0.5f, -2, 1, 0,     1.5f};
  static const float want[] = {
      0.0f,        -2.9985013f,     2.9985013f, 5.9970026f, 2.9960122f,
      1.9980061f,  -0.4970090f,     5.9900303f, 0.7498438f, -0.2500312f,
      -0.7499688f, 1.9996877f,      2.9985013f, 2.9985013f, -2.9985013f,
      -0.4997502f, 3.7445166f,      1.2495016f, 4.9920244f, 2.4970090f,
      1.4997501f,  -6.2465668e-05f, 0.4998751f, -0.2500312f};
  dlc_tensor x = th_f32(xv, 3, DIMS(2, 3, 4));
  dlc_tensor m = th_f32(F32(0.5f, -1, 2), 1, DIMS(3));
  dlc_tensor v = th_f32(F32(1, 0.25f, 4), 1, DIMS(3));
  dlc_tensor s = th_f32(F32(2, 0.5f, -1), 1, DIMS(3));
  dlc_tensor b = th_f32(F32(0, 1, -0.5f), 1, DIMS(3));
  th_node t;
  th_begin(&t, DLC_OP_BATCH_NORMALIZATION);
  th_input(&t, &x);
  th_const(&t, &s);
  th_const(&t, &b);
  th_const(&t, &m);
  th_const(&t, &v);
  th_finish(&t, 1);
  dlc_node_set_float(t.g, t.node, "epsilon", 1e-3);
  run_expect(&t, want, 24, 1e-6, 1e-5);
  th_free(&t);
}

/* Builds BN with X of shape xdims and per-channel vectors of length vlen. */
static void bn_begin(th_node *t, dlc_tensor *x, dlc_tensor *vec, int xrank,
                     const int64_t *xdims, int64_t vlen) {
  static const float zeros[16];
  *x = th_f32(zeros, xrank, xdims);
  *vec = th_f32(zeros, 1, &vlen);
  th_begin(t, DLC_OP_BATCH_NORMALIZATION);
  th_input(t, x);
  for (int i = 0; i < 4; i++)
    th_const(t, vec);
  th_finish(t, 1);
}

Test(batch_norm, rejects_training_mode) {
  dlc_tensor x, v;
  th_node t;
  bn_begin(&t, &x, &v, 2, DIMS(1, 2), 2);
  dlc_node_set_int(t.g, t.node, "training_mode", 1);
  expect_error(&t, false, "training_mode=1 is not supported");
  th_free(&t);
}

Test(batch_norm, rejects_wrong_channel_count) {
  dlc_tensor x, v;
  th_node t;
  bn_begin(&t, &x, &v, 4, DIMS(1, 2, 1, 2), 3);
  expect_error(&t, false,
               "input 1 (scale) must have shape [C] = [2] for X [1, 2, 1, 2], "
               "got [3]");
  cr_assert(dlc_diag_contains(&t.diag, "input 4 (var)"),
            "every bad vector is reported: %s", first_msg(&t));
  th_free(&t);
}

Test(batch_norm, rejects_rank_1) {
  dlc_tensor x, v;
  th_node t;
  bn_begin(&t, &x, &v, 1, DIMS(2), 2);
  expect_error(&t, false,
               "input 0 (X) must have rank >= 2 (N, C, ...), got [2]");
  th_free(&t);
}

/* =================================================== InstanceNormalization */

Test(instance_norm, per_plane_statistics) {
  /* X [1,2,4], default epsilon 1e-5.
   * ch0 {1,2,3,4}: mean 2.5, var (2.25+0.25+0.25+2.25)/4 = 1.25;
   *   (x-2.5)/sqrt(1.25001) = {-1.3416354, -0.4472118, 0.4472118, 1.3416354},
   *   scale 1, B 0.
   * ch1 {5,5,5,5}: var 0 -> normalised 0 everywhere -> B = 7 (scale 3). */
  dlc_tensor x = th_f32(F32(1, 2, 3, 4, 5, 5, 5, 5), 3, DIMS(1, 2, 4));
  dlc_tensor s = th_f32(F32(1, 3), 1, DIMS(2));
  dlc_tensor b = th_f32(F32(0, 7), 1, DIMS(2));
  th_node t;
  th_begin(&t, DLC_OP_INSTANCE_NORMALIZATION);
  th_input(&t, &x);
  th_const(&t, &s);
  th_const(&t, &b);
  th_finish(&t, 1);
  run_expect(&t,
             F32(-1.3416354f, -0.4472118f, 0.4472118f, 1.3416354f, 7, 7, 7, 7),
             8, ATOL, RTOL);
  expect_shape(&t, 3, DIMS(1, 2, 4));
  th_free(&t);
}

Test(instance_norm, matches_torch) {
  /* torch: x = tensor(xv).reshape(2,2,3);
   * F.instance_norm(x, weight=[1.5,-0.5], bias=[0.25,1.0], eps=1e-5) */
  static const float xv[] = {0.5f, -1, 2,  1,     0,      -2.5f,
                             2,    2,  -1, 1.75f, -0.75f, 3};
  static const float want[] = {
      0.25f,      -1.5871111f, 2.0871110f,  0.4904765f, 0.8301588f, 1.6793646f,
      1.3106575f, 1.3106575f,  -1.8713150f, 0.8663697f, 1.6681516f, 0.4654787f};
  dlc_tensor x = th_f32(xv, 3, DIMS(2, 2, 3));
  dlc_tensor s = th_f32(F32(1.5f, -0.5f), 1, DIMS(2));
  dlc_tensor b = th_f32(F32(0.25f, 1), 1, DIMS(2));
  th_node t;
  th_begin(&t, DLC_OP_INSTANCE_NORMALIZATION);
  th_input(&t, &x);
  th_const(&t, &s);
  th_const(&t, &b);
  th_finish(&t, 1);
  run_expect(&t, want, 12, 1e-6, 1e-5);
  th_free(&t);
}

Test(instance_norm, rejects_rank_2_and_bad_bias) {
  dlc_tensor x = th_f32(NULL, 2, DIMS(1, 2));
  dlc_tensor s = th_f32(NULL, 1, DIMS(2));
  th_node t;
  th_begin(&t, DLC_OP_INSTANCE_NORMALIZATION);
  th_input(&t, &x);
  th_input(&t, &s);
  th_input(&t, &s);
  th_finish(&t, 1);
  expect_error(&t, false,
               "input 0 (X) must have rank >= 3 (N, C, ...), got [1, 2]");
  th_free(&t);

  dlc_tensor x3 = th_f32(NULL, 3, DIMS(1, 2, 5));
  dlc_tensor b = th_f32(NULL, 2, DIMS(1, 2));
  th_begin(&t, DLC_OP_INSTANCE_NORMALIZATION);
  th_input(&t, &x3);
  th_input(&t, &s);
  th_input(&t, &b);
  th_finish(&t, 1);
  expect_error(
      &t, false,
      "input 2 (B) must have shape [C] = [2] for X [1, 2, 5], got [1, 2]");
  th_free(&t);
}

/* ====================================================== LayerNormalization */

static void ln_begin(th_node *t, const dlc_tensor *x, const dlc_tensor *s,
                     const dlc_tensor *b) {
  th_begin(t, DLC_OP_LAYER_NORMALIZATION);
  th_input(t, x);
  th_const(t, s);
  if (b)
    th_const(t, b);
  th_finish(t, 1);
}

Test(layer_norm, last_axis_with_scale_and_bias) {
  /* X [2,3], axis -1, epsilon 0.
   * row {1,2,3}: mean 2, var 2/3, normalised {-1.2247449, 0, 1.2247449};
   *   * {1,2,0.5} + {0,1,-1} = {-1.2247449, 1, -0.3876276}
   * row {10,10,16}: mean 12, var (4+4+16)/3 = 8, sd 2.8284271,
   *   normalised {-0.7071068, -0.7071068, 1.4142136};
   *   * {1,2,0.5} + {0,1,-1} = {-0.7071068, -0.4142136, -0.2928932} */
  dlc_tensor x = th_f32(F32(1, 2, 3, 10, 10, 16), 2, DIMS(2, 3));
  dlc_tensor s = th_f32(F32(1, 2, 0.5f), 1, DIMS(3));
  dlc_tensor b = th_f32(F32(0, 1, -1), 1, DIMS(3));
  th_node t;
  ln_begin(&t, &x, &s, &b);
  dlc_node_set_float(t.g, t.node, "epsilon", 0.0);
  run_expect(
      &t,
      F32(-1.2247449f, 1, -0.3876276f, -0.7071068f, -0.4142136f, -0.2928932f),
      6, ATOL, RTOL);
  expect_shape(&t, 2, DIMS(2, 3));
  th_free(&t);
}

Test(layer_norm, scale_broadcasts_over_normalised_dims_no_bias) {
  /* X [1,2,2], axis 1: one row {1,2,3,4}, mean 2.5, var 1.25,
   * normalised {-1.3416408, -0.4472136, 0.4472136, 1.3416408};
   * Scale [2] = {2,-1} repeats along the last dim:
   * {-2.6832816, 0.4472136, 0.8944272, -1.3416408}. */
  dlc_tensor x = th_f32(F32(1, 2, 3, 4), 3, DIMS(1, 2, 2));
  dlc_tensor s = th_f32(F32(2, -1), 1, DIMS(2));
  th_node t;
  ln_begin(&t, &x, &s, NULL);
  dlc_node_set_int(t.g, t.node, "axis", 1);
  dlc_node_set_float(t.g, t.node, "epsilon", 0.0);
  run_expect(&t, F32(-2.6832816f, 0.4472136f, 0.8944272f, -1.3416408f), 4, ATOL,
             RTOL);
  th_free(&t);
}

Test(layer_norm, matches_torch) {
  /* torch: x = tensor(xv).reshape(2,3,4); s = [1,-2,0.5,3]; b = [.1,.2,-.3,0]
   * F.layer_norm(x, [3,4], eps=1e-5) * s + b   (axis -2, Scale/B [4]) */
  static const float xv[] = {0.5f,  -1,     2,    3.5f, 1,  0, -2.5f, 4,
                             -0.5f, 1.5f,   2.5f, -3,   2,  2, -1,    0.25f,
                             1.75f, -0.75f, 3,    0.5f, -2, 1, 0,     1.5f};
  static const float want[] = {
      0.0208194f,  1.7836134f,  0.0167227f,  4.0382147f,  0.2583614f,
      0.8334453f,  -1.0522164f, 4.7508407f,  -0.4542647f, -0.5918068f,
      0.1354937f,  -5.2259245f, 1.0375848f,  -1.6751695f, -0.9027330f,
      -0.9375848f, 0.8589972f,  2.2537570f,  0.5259675f,  -0.4018220f,
      -1.8198164f, -0.2464689f, -0.5455579f, 1.7412289f};
  dlc_tensor x = th_f32(xv, 3, DIMS(2, 3, 4));
  dlc_tensor s = th_f32(F32(1, -2, 0.5f, 3), 1, DIMS(4));
  dlc_tensor b = th_f32(F32(0.1f, 0.2f, -0.3f, 0), 1, DIMS(4));
  th_node t;
  ln_begin(&t, &x, &s, &b);
  dlc_node_set_int(t.g, t.node, "axis", -2);
  run_expect(&t, want, 24, 1e-5, 1e-5);
  th_free(&t);
}

Test(layer_norm, rejects_scale_that_does_not_broadcast) {
  dlc_tensor x = th_f32(NULL, 3, DIMS(1, 4, 2));
  dlc_tensor s = th_f32(F32(1, 2, 3), 1, DIMS(3));
  th_node t;
  ln_begin(&t, &x, &s, NULL);
  expect_error(&t, false,
               "input 1 (Scale) [3] does not broadcast to the normalised shape "
               "[2] (axis 2)");
  th_free(&t);
}

Test(layer_norm, rejects_bad_axis) {
  dlc_tensor x = th_f32(NULL, 2, DIMS(2, 3));
  dlc_tensor s = th_f32(F32(1), 1, DIMS(1));
  th_node t;
  ln_begin(&t, &x, &s, NULL);
  dlc_node_set_int(t.g, t.node, "axis", 2);
  expect_error(&t, false, "axis 2 is out of range for X [2, 3]");
  th_free(&t);
}

/* =================================================== Softmax / LogSoftmax */

static void sm_begin(th_node *t, dlc_op op, dlc_tensor *x, const float *d,
                     int rank, const int64_t *dims) {
  *x = th_f32(d, rank, dims);
  th_begin(t, op);
  th_input(t, x);
  th_finish(t, 1);
}

Test(softmax, last_axis) {
  /* row {1,2,3} = {-2,-1,0} + 3: e^-2, e^-1, 1 over their sum 1.5032147:
   * {0.0900306, 0.2447285, 0.6652410}; row {0,0,0}: 1/3 each. */
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_SOFTMAX, &x, F32(1, 2, 3, 0, 0, 0), 2, DIMS(2, 3));
  run_expect(
      &t, F32(0.0900306f, 0.2447285f, 0.6652410f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f),
      6, ATOL, RTOL);
  expect_shape(&t, 2, DIMS(2, 3));
  th_free(&t);
}

Test(softmax, axis_0_runs_down_columns) {
  /* [[1,3],[2,2]], axis 0: column {1,2} -> {0.2689414, 0.7310586},
   * column {3,2} -> {0.7310586, 0.2689414}. */
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_SOFTMAX, &x, F32(1, 3, 2, 2), 2, DIMS(2, 2));
  dlc_node_set_int(t.g, t.node, "axis", 0);
  run_expect(&t, F32(0.2689414f, 0.7310586f, 0.7310586f, 0.2689414f), 4, ATOL,
             RTOL);
  th_free(&t);
}

Test(softmax, large_magnitudes_do_not_overflow) {
  /* Shift invariance: {1000,999,998} = {2,1,0} + 998, same softmax as
   * {1,2,3} reversed; {1000,1000,-1000} -> {0.5,0.5,0}; {-1000,-1000,-1000}
   * -> 1/3 each; {100,-100,100} -> {0.5, e^-200/2 ~ 0, 0.5}. */
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_SOFTMAX, &x,
           F32(1000, 999, 998, 1000, 1000, -1000, -1000, -1000, -1000, 100,
               -100, 100),
           2, DIMS(4, 3));
  static const float want[] = {0.6652410f, 0.2447285f, 0.0900306f, 0.5f,
                               0.5f,       0,          1 / 3.0f,   1 / 3.0f,
                               1 / 3.0f,   0.5f,       0,          0.5f};
  run_expect(&t, want, 12, ATOL, RTOL);
  th_free(&t);
}

Test(softmax, matches_torch_3d_middle_axis) {
  /* torch: x = tensor(xv).reshape(2,3,2); torch.softmax(x, dim=1) and
   * torch.log_softmax(x, dim=1) */
  static const float xv[] = {0.5f, -1, 1,     0,      -0.5f, 1.5f,
                             2,    2,  1.75f, -0.75f, -2,    1};
  static const float want[] = {0.3314990f, 0.0628900f, 0.5465494f, 0.1709528f,
                               0.1219517f, 0.7661572f, 0.5564470f, 0.6984180f,
                               0.4333614f, 0.0446484f, 0.0101917f, 0.2569336f};
  static const float want_log[] = {-1.1041306f, -2.7663679f, -0.6041306f,
                                   -1.7663679f, -2.1041307f, -0.2663679f,
                                   -0.5861834f, -0.3589375f, -0.8361834f,
                                   -3.1089375f, -4.5861835f, -1.3589375f};
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_SOFTMAX, &x, xv, 3, DIMS(2, 3, 2));
  dlc_node_set_int(t.g, t.node, "axis", 1);
  run_expect(&t, want, 12, ATOL, RTOL);
  th_free(&t);
  sm_begin(&t, DLC_OP_LOG_SOFTMAX, &x, xv, 3, DIMS(2, 3, 2));
  dlc_node_set_int(t.g, t.node, "axis", -2);
  run_expect(&t, want_log, 12, ATOL, RTOL);
  th_free(&t);
}

Test(log_softmax, hand_values_and_large_magnitudes) {
  /* {1,2,3}: x - 3 - log(1 + e^-1 + e^-2) = x - 3 - 0.4076060
   *   = {-2.4076060, -1.4076060, -0.4076060}
   * {1000, 0, 0}: {-log(1 + 2e^-1000) = 0, -1000, -1000}
   * {-1000, 1000, 1000}: {-2000 - log 2, -log 2, -log 2}, log 2 = 0.6931472 */
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_LOG_SOFTMAX, &x,
           F32(1, 2, 3, 1000, 0, 0, -1000, 1000, 1000), 2, DIMS(3, 3));
  static const float want[] = {
      -2.4076060f, -1.4076060f,    -0.4076060f, 0,          -1000,
      -1000,       -2000.6931472f, -0.6931472f, -0.6931472f};
  run_expect(&t, want, 9, 1e-6, 1e-6);
  for (int i = 0; i < 9; i++)
    cr_assert(isfinite(((float *)t.out[0].data)[i]), "element %d not finite",
              i);
  th_free(&t);
}

Test(softmax, rejects_bad_axis_and_scalar) {
  dlc_tensor x;
  th_node t;
  sm_begin(&t, DLC_OP_SOFTMAX, &x, NULL, 2, DIMS(2, 3));
  dlc_node_set_int(t.g, t.node, "axis", 2);
  expect_error(&t, false, "axis 2 is out of range for input [2, 3]");
  th_free(&t);
  sm_begin(&t, DLC_OP_LOG_SOFTMAX, &x, NULL, 0, NULL);
  expect_error(&t, false, "axis -1 is out of range for input []");
  th_free(&t);
}

/* ============================================================ ReduceMean */

static void rm_begin(th_node *t, dlc_tensor *x, const float *d, int rank,
                     const int64_t *dims, const int64_t *axes, int n_axes,
                     int keepdims) {
  *x = th_f32(d, rank, dims);
  th_begin(t, DLC_OP_REDUCE_MEAN);
  th_input(t, x);
  th_finish(t, 1);
  if (n_axes)
    dlc_node_set_ints(t->g, t->node, "axes", axes, n_axes);
  if (keepdims >= 0)
    dlc_node_set_int(t->g, t->node, "keepdims", keepdims);
}

static const float m23[] = {1, 2, 3, 4, 5, 6}; /* [[1,2,3],[4,5,6]] */

Test(reduce_mean, one_axis_keepdims_default) {
  /* axes [1], keepdims default 1: rows {1,2,3} -> 2, {4,5,6} -> 5; [2,1] */
  dlc_tensor x;
  th_node t;
  rm_begin(&t, &x, m23, 2, DIMS(2, 3), DIMS(1), 1, -1);
  run_expect(&t, F32(2, 5), 2, ATOL, RTOL);
  expect_shape(&t, 2, DIMS(2, 1));
  th_free(&t);
}

Test(reduce_mean, axis_0_without_keepdims) {
  /* columns {1,4} {2,5} {3,6} -> {2.5, 3.5, 4.5}; [3] */
  dlc_tensor x;
  th_node t;
  rm_begin(&t, &x, m23, 2, DIMS(2, 3), DIMS(0), 1, 0);
  run_expect(&t, F32(2.5f, 3.5f, 4.5f), 3, ATOL, RTOL);
  expect_shape(&t, 1, DIMS(3));
  th_free(&t);
}

Test(reduce_mean, no_axes_means_all) {
  /* (1+...+6)/6 = 3.5; keepdims 1 -> [1,1]; keepdims 0 -> [] */
  dlc_tensor x;
  th_node t;
  rm_begin(&t, &x, m23, 2, DIMS(2, 3), NULL, 0, -1);
  run_expect(&t, F32(3.5f), 1, ATOL, RTOL);
  expect_shape(&t, 2, DIMS(1, 1));
  th_free(&t);
  rm_begin(&t, &x, m23, 2, DIMS(2, 3), DIMS(-1, 0), 2, 0);
  run_expect(&t, F32(3.5f), 1, ATOL, RTOL);
  expect_shape(&t, 0, NULL);
  th_free(&t);
}

Test(reduce_mean, non_adjacent_axes) {
  /* X [2,2,2] = 0..7 (x[i][j][k] = 4i + 2j + k), axes [0,2]:
   * j=0: {0,1,4,5} -> 2.5; j=1: {2,3,6,7} -> 4.5; keepdims -> [1,2,1] */
  dlc_tensor x;
  th_node t;
  rm_begin(&t, &x, F32(0, 1, 2, 3, 4, 5, 6, 7), 3, DIMS(2, 2, 2), DIMS(0, 2), 2,
           1);
  run_expect(&t, F32(2.5f, 4.5f), 2, ATOL, RTOL);
  expect_shape(&t, 3, DIMS(1, 2, 1));
  th_free(&t);
}

Test(reduce_mean, rejects_bad_axes) {
  dlc_tensor x;
  th_node t;
  rm_begin(&t, &x, NULL, 2, DIMS(2, 3), DIMS(1, -1), 2, 1);
  expect_error(&t, false, "axis -1 appears twice in axes");
  th_free(&t);
  rm_begin(&t, &x, NULL, 2, DIMS(2, 3), DIMS(2), 1, 1);
  expect_error(&t, false, "axis 2 is out of range for input [2, 3]");
  th_free(&t);
}

/* ================================================================ MatMul */

static void mm_begin(th_node *t, dlc_tensor *a, dlc_tensor *b, const float *ad,
                     int ar, const int64_t *adims, const float *bd, int br,
                     const int64_t *bdims) {
  *a = th_f32(ad, ar, adims);
  *b = th_f32(bd, br, bdims);
  th_begin(t, DLC_OP_MAT_MUL);
  th_input(t, a);
  th_input(t, b);
  th_finish(t, 1);
}

/* MAC count through the operator table, on the node's declared types. */
static int64_t node_macs(const th_node *t) {
  const dlc_tensor *in[16];
  for (int i = 0; i < t->n_ins; i++)
    in[i] = t->ins[i] ? &t->ins[i]->type : NULL;
  dlc_op_ctx c;
  memset(&c, 0, sizeof c);
  c.node = t->node;
  c.n_inputs = t->n_ins;
  c.in = in;
  return dlc_op_get_info(t->node->op)->macs(&c);
}

static const float a23[] = {1, 2, 3, 4, 5, 6};    /* [[1,2,3],[4,5,6]] */
static const float b32[] = {7, 8, 9, 10, 11, 12}; /* [[7,8],[9,10],[11,12]] */

Test(matmul, two_by_three_times_three_by_two) {
  /* [1*7+2*9+3*11, 1*8+2*10+3*12; 4*7+5*9+6*11, 4*8+5*10+6*12]
   * = [58, 64; 139, 154]; MACs 2*2*3 = 12 */
  dlc_tensor a, b;
  th_node t;
  mm_begin(&t, &a, &b, a23, 2, DIMS(2, 3), b32, 2, DIMS(3, 2));
  run_expect(&t, F32(58, 64, 139, 154), 4, 0, 0);
  expect_shape(&t, 2, DIMS(2, 2));
  cr_assert_eq(node_macs(&t), 12);
  th_free(&t);
}

Test(matmul, one_d_operands_are_promoted_then_dropped) {
  dlc_tensor a, b;
  th_node t;
  /* [3] x [3,2]: {1,2,3} is the first row of a23 -> {58, 64}, shape [2] */
  mm_begin(&t, &a, &b, a23, 1, DIMS(3), b32, 2, DIMS(3, 2));
  run_expect(&t, F32(58, 64), 2, 0, 0);
  expect_shape(&t, 1, DIMS(2));
  th_free(&t);
  /* [2,3] x [3] of ones: row sums {6, 15}, shape [2] */
  mm_begin(&t, &a, &b, a23, 2, DIMS(2, 3), F32(1, 1, 1), 1, DIMS(3));
  run_expect(&t, F32(6, 15), 2, 0, 0);
  expect_shape(&t, 1, DIMS(2));
  th_free(&t);
  /* [3] x [3]: 1*4 + 2*5 + 3*6 = 32, shape [] */
  mm_begin(&t, &a, &b, F32(1, 2, 3), 1, DIMS(3), F32(4, 5, 6), 1, DIMS(3));
  run_expect(&t, F32(32), 1, 0, 0);
  expect_shape(&t, 0, NULL);
  cr_assert_eq(node_macs(&t), 3);
  th_free(&t);
}

Test(matmul, batch_dims_broadcast) {
  /* A [2,1,2,2]: A_0 = I, A_1 = 2I. B [3,2,2]: B_k = [[1,k],[0,1]].
   * Out [2,3,2,2]: out[a][k] = (a+1) * B_k. MACs 6 batches * 2*2*2 = 48. */
  static const float ad[] = {1, 0, 0, 1, 2, 0, 0, 2};
  static const float bd[] = {1, 0, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1};
  static const float want[] = {1, 0, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1,
                               2, 0, 0, 2, 2, 2, 0, 2, 2, 4, 0, 2};
  dlc_tensor a, b;
  th_node t;
  mm_begin(&t, &a, &b, ad, 4, DIMS(2, 1, 2, 2), bd, 3, DIMS(3, 2, 2));
  run_expect(&t, want, 24, 0, 0);
  expect_shape(&t, 4, DIMS(2, 3, 2, 2));
  cr_assert_eq(node_macs(&t), 48);
  th_free(&t);
}

Test(matmul, batched_times_1d) {
  /* A [2,2,3] (a23, then -a23) x B [3] = {1,0,-1} gives x0 - x2 per row:
   * 1-3 = -2, 4-6 = -2, -1+3 = 2, -4+6 = 2; shape [2,2] */
  static const float ad[] = {1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6};
  dlc_tensor a, b;
  th_node t;
  mm_begin(&t, &a, &b, ad, 3, DIMS(2, 2, 3), F32(1, 0, -1), 1, DIMS(3));
  run_expect(&t, F32(-2, -2, 2, 2), 4, 0, 0);
  expect_shape(&t, 2, DIMS(2, 2));
  th_free(&t);
}

Test(matmul, shape_errors_name_both_shapes) {
  dlc_tensor a, b;
  th_node t;
  mm_begin(&t, &a, &b, NULL, 2, DIMS(2, 3), NULL, 2, DIMS(4, 5));
  expect_error(&t, false,
               "MatMul inner dimensions differ: A [2, 3] and B [4, 5]");
  th_free(&t);
  mm_begin(&t, &a, &b, NULL, 3, DIMS(2, 2, 3), NULL, 3, DIMS(3, 3, 2));
  expect_error(&t, false,
               "MatMul batch dimensions do not broadcast: A [2, 2, 3] and B "
               "[3, 3, 2]");
  th_free(&t);
  mm_begin(&t, &a, &b, NULL, 0, NULL, NULL, 1, DIMS(3));
  expect_error(&t, false, "MatMul inputs must have rank >= 1: A [] and B [3]");
  th_free(&t);
}

/* ================================================================== Gemm */

static void gemm_begin(th_node *t, dlc_tensor *a, dlc_tensor *b, dlc_tensor *c,
                       const float *ad, const int64_t *adims, const float *bd,
                       const int64_t *bdims) {
  *a = th_f32(ad, 2, adims);
  *b = th_f32(bd, 2, bdims);
  th_begin(t, DLC_OP_GEMM);
  th_input(t, a);
  th_const(t, b);
  if (c)
    th_const(t, c);
  th_finish(t, 1);
}

Test(gemm, alpha_beta_and_row_bias) {
  /* 0.5 * [58,64;139,154] + 2 * C, C [2] = {1,-1} broadcast over rows:
   * [29+2, 32-2; 69.5+2, 77-2] = [31, 30; 71.5, 75]; MACs 2*2*3 = 12 */
  dlc_tensor a, b, c = th_f32(F32(1, -1), 1, DIMS(2));
  th_node t;
  gemm_begin(&t, &a, &b, &c, a23, DIMS(2, 3), b32, DIMS(3, 2));
  dlc_node_set_float(t.g, t.node, "alpha", 0.5);
  dlc_node_set_float(t.g, t.node, "beta", 2.0);
  run_expect(&t, F32(31, 30, 71.5f, 75), 4, 0, 0);
  expect_shape(&t, 2, DIMS(2, 2));
  cr_assert_eq(node_macs(&t), 12);
  th_free(&t);
}

Test(gemm, transposed_operands_without_c) {
  /* A^T stored [3,2], B^T stored [2,3]: same product [58,64;139,154] */
  dlc_tensor a, b;
  th_node t;
  gemm_begin(&t, &a, &b, NULL, F32(1, 4, 2, 5, 3, 6), DIMS(3, 2),
             F32(7, 9, 11, 8, 10, 12), DIMS(2, 3));
  dlc_node_set_int(t.g, t.node, "transA", 1);
  dlc_node_set_int(t.g, t.node, "transB", 1);
  run_expect(&t, F32(58, 64, 139, 154), 4, 0, 0);
  expect_shape(&t, 2, DIMS(2, 2));
  th_free(&t);
}

Test(gemm, c_scalar_and_column_broadcast) {
  dlc_tensor a, b;
  th_node t;
  /* C [] = 10: [68, 74; 149, 164] */
  dlc_tensor cs = th_f32(F32(10), 0, NULL);
  gemm_begin(&t, &a, &b, &cs, a23, DIMS(2, 3), b32, DIMS(3, 2));
  run_expect(&t, F32(68, 74, 149, 164), 4, 0, 0);
  th_free(&t);
  /* C [2,1] = {1,2} added per row: [59, 65; 141, 156] */
  dlc_tensor cc = th_f32(F32(1, 2), 2, DIMS(2, 1));
  gemm_begin(&t, &a, &b, &cc, a23, DIMS(2, 3), b32, DIMS(3, 2));
  run_expect(&t, F32(59, 65, 141, 156), 4, 0, 0);
  th_free(&t);
}

Test(gemm, shape_errors) {
  static const float zeros[8];
  dlc_tensor a, b;
  th_node t;
  gemm_begin(&t, &a, &b, NULL, NULL, DIMS(2, 3), zeros, DIMS(4, 2));
  expect_error(&t, false,
               "Gemm inner dimensions differ: A [2, 3] (transA=0) and B [4, 2] "
               "(transB=0)");
  th_free(&t);
  dlc_tensor c = th_f32(F32(1, 2, 3), 1, DIMS(3));
  gemm_begin(&t, &a, &b, &c, NULL, DIMS(2, 3), b32, DIMS(3, 2));
  expect_error(&t, false,
               "input 2 (C) [3] does not broadcast to (M, N) = [2, 2]");
  th_free(&t);
  dlc_tensor a3 = th_f32(NULL, 3, DIMS(1, 2, 3));
  b = th_f32(b32, 2, DIMS(3, 2));
  th_begin(&t, DLC_OP_GEMM);
  th_input(&t, &a3);
  th_const(&t, &b);
  th_finish(&t, 1);
  expect_error(&t, false, "Gemm inputs must be 2-D: A [1, 2, 3] and B [3, 2]");
  th_free(&t);
}

/* ======================================================= activations */

Test(relu, clamps_negatives_keeps_nan) {
  dlc_tensor x;
  th_node t;
  unary_begin(&t, DLC_OP_RELU, &x, F32(-2, -0.5f, 0, 3), 4);
  run_expect(&t, F32(0, 0, 0, 3), 4, 0, 0);
  th_free(&t);
  unary_begin(&t, DLC_OP_RELU, &x, F32(NAN), 1);
  must_run(&t);
  cr_assert(isnan(((float *)t.out[0].data)[0]), "Relu(NaN) must stay NaN");
  th_free(&t);
}

Test(leaky_relu, default_and_explicit_alpha) {
  dlc_tensor x;
  th_node t;
  /* default alpha 0.01: -2 -> -0.02 */
  unary_begin(&t, DLC_OP_LEAKY_RELU, &x, F32(-2, 0, 3), 3);
  run_expect(&t, F32(-0.02f, 0, 3), 3, ATOL, RTOL);
  th_free(&t);
  /* alpha 0.2: -5 -> -1 */
  unary_begin(&t, DLC_OP_LEAKY_RELU, &x, F32(-5, 5), 2);
  dlc_node_set_float(t.g, t.node, "alpha", 0.2);
  run_expect(&t, F32(-1, 5), 2, ATOL, RTOL);
  th_free(&t);
}

static void prelu_begin(th_node *t, dlc_tensor *x, dlc_tensor *s,
                        const float *sd, int srank, const int64_t *sdims) {
  static const float xd[] = {-1, 2, -3, 4};
  *x = th_f32(xd, 3, DIMS(1, 2, 2));
  *s = th_f32(sd, srank, sdims);
  th_begin(t, DLC_OP_PRELU);
  th_input(t, x);
  th_const(t, s);
  th_finish(t, 1);
}

Test(prelu, slope_broadcasts_per_channel_and_single) {
  /* X [1,2,2] = {-1,2 | -3,4}; slope [2,1] = {0.1, 0.5} per channel:
   * {-0.1, 2, -1.5, 4}; slope [1] = 0.25: {-0.25, 2, -0.75, 4} */
  dlc_tensor x, s;
  th_node t;
  prelu_begin(&t, &x, &s, F32(0.1f, 0.5f), 2, DIMS(2, 1));
  run_expect(&t, F32(-0.1f, 2, -1.5f, 4), 4, ATOL, RTOL);
  expect_shape(&t, 3, DIMS(1, 2, 2));
  th_free(&t);
  prelu_begin(&t, &x, &s, F32(0.25f), 1, DIMS(1));
  run_expect(&t, F32(-0.25f, 2, -0.75f, 4), 4, ATOL, RTOL);
  th_free(&t);
}

Test(prelu, slope_must_broadcast_to_x) {
  dlc_tensor x, s;
  th_node t;
  prelu_begin(&t, &x, &s, F32(1, 2, 3), 1, DIMS(3));
  expect_error(&t, false,
               "input 1 (slope) [3] does not broadcast to X [1, 2, 2]");
  th_free(&t);
  /* unidirectional: a slope that would grow X is refused */
  prelu_begin(&t, &x, &s, F32(1, 2, 3, 4), 4, DIMS(1, 1, 2, 2));
  expect_error(&t, false,
               "input 1 (slope) [1, 1, 2, 2] does not broadcast to X");
  th_free(&t);
}

Test(elu, negative_side_is_alpha_expm1) {
  dlc_tensor x;
  th_node t;
  /* alpha 1: -1 -> e^-1 - 1 = -0.6321206 */
  unary_begin(&t, DLC_OP_ELU, &x, F32(-1, 0, 2), 3);
  run_expect(&t, F32(-0.6321206f, 0, 2), 3, ATOL, RTOL);
  th_free(&t);
  /* alpha 2: -1000 -> 2 * (0 - 1) = -2 */
  unary_begin(&t, DLC_OP_ELU, &x, F32(-1000, 0.5f), 2);
  dlc_node_set_float(t.g, t.node, "alpha", 2.0);
  run_expect(&t, F32(-2, 0.5f), 2, ATOL, RTOL);
  th_free(&t);
}

Test(sigmoid, values_and_large_magnitudes) {
  /* 1/(1+e^-1) = 0.7310586; 1 - that = 0.2689414;
   * +-100, +-1000: 1 and ~0 (e^-100 = 3.72e-44), never NaN */
  dlc_tensor x;
  th_node t;
  unary_begin(&t, DLC_OP_SIGMOID, &x, F32(0, 1, -1, 100, -100, 1000, -1000), 7);
  run_expect(&t, F32(0.5f, 0.7310586f, 0.2689414f, 1, 0, 1, 0), 7, ATOL, RTOL);
  for (int i = 0; i < 7; i++)
    cr_assert(!isnan(((float *)t.out[0].data)[i]), "element %d is NaN", i);
  th_free(&t);
}

Test(tanh, values) {
  /* tanh(0.5) = 0.4621172, tanh(-2) = -0.9640276, tanh(1000) = 1 */
  dlc_tensor x;
  th_node t;
  unary_begin(&t, DLC_OP_TANH, &x, F32(0, 0.5f, -2, 1000, -1000), 5);
  run_expect(&t, F32(0, 0.4621172f, -0.9640276f, 1, -1), 5, ATOL, RTOL);
  th_free(&t);
}

/* Clip with optional constant min/max (NULL = omitted). */
static void clip_begin(th_node *t, dlc_tensor *x, dlc_tensor *lo,
                       dlc_tensor *hi, const float *xd, int64_t n) {
  *x = th_f32(xd, 1, &n);
  th_begin(t, DLC_OP_CLIP);
  th_input(t, x);
  if (lo)
    th_const(t, lo);
  else if (hi)
    th_omit(t);
  if (hi)
    th_const(t, hi);
  th_finish(t, 1);
}

Test(clip, bounds_optional) {
  dlc_tensor x, lo = th_f32(F32(0), 0, NULL), hi = th_f32(F32(6), 0, NULL);
  th_node t;
  /* ReLU6: {-1, -0.5, 3, 6.5, 7} -> {0, 0, 3, 6, 6} */
  clip_begin(&t, &x, &lo, &hi, F32(-1, -0.5f, 3, 6.5f, 7), 5);
  run_expect(&t, F32(0, 0, 3, 6, 6), 5, 0, 0);
  th_free(&t);
  /* only max (min omitted): {-1, 7} -> {-1, 6} */
  clip_begin(&t, &x, NULL, &hi, F32(-1, 7), 2);
  run_expect(&t, F32(-1, 6), 2, 0, 0);
  th_free(&t);
  /* only min: {-1, 7} -> {0, 7} */
  clip_begin(&t, &x, &lo, NULL, F32(-1, 7), 2);
  run_expect(&t, F32(0, 7), 2, 0, 0);
  th_free(&t);
  /* no bounds: identity */
  clip_begin(&t, &x, NULL, NULL, F32(-1e30f, 1e30f), 2);
  run_expect(&t, F32(-1e30f, 1e30f), 2, 0, 0);
  th_free(&t);
}

Test(clip, min_greater_than_max_gives_max) {
  /* ONNX: when min > max every value becomes max. min 5, max 2. */
  dlc_tensor x, lo = th_f32(F32(5), 1, DIMS(1)), hi = th_f32(F32(2), 0, NULL);
  th_node t;
  clip_begin(&t, &x, &lo, &hi, F32(0, 3, 10), 3);
  run_expect(&t, F32(2, 2, 2), 3, 0, 0);
  th_free(&t);
}

Test(clip, bounds_must_be_constant_scalars) {
  dlc_tensor x = th_f32(F32(1, 2), 1, DIMS(2));
  dlc_tensor lo = th_f32(F32(0), 0, NULL), two = th_f32(F32(0, 1), 1, DIMS(2));
  th_node t;
  th_begin(&t, DLC_OP_CLIP);
  th_input(&t, &x);
  th_input(&t, &lo); /* a graph input, not an initializer */
  th_finish(&t, 1);
  expect_error(&t, false, "input 1 (min) must be a constant initializer");
  th_free(&t);
  th_begin(&t, DLC_OP_CLIP);
  th_input(&t, &x);
  th_omit(&t);
  th_const(&t, &two);
  th_finish(&t, 1);
  expect_error(&t, false, "input 2 (max) must be a scalar, got [2]");
  th_free(&t);
}

Test(hard_sigmoid, default_and_custom) {
  dlc_tensor x;
  th_node t;
  /* 0.2x + 0.5 clamped: -3 -> -0.1 -> 0; 0 -> 0.5; 1 -> 0.7; 3 -> 1.1 -> 1 */
  unary_begin(&t, DLC_OP_HARD_SIGMOID, &x, F32(-3, 0, 1, 3), 4);
  run_expect(&t, F32(0, 0.5f, 0.7f, 1), 4, ATOL, RTOL);
  th_free(&t);
  /* alpha 0.5, beta 0.25: 1 -> 0.75 */
  unary_begin(&t, DLC_OP_HARD_SIGMOID, &x, F32(1), 1);
  dlc_node_set_float(t.g, t.node, "alpha", 0.5);
  dlc_node_set_float(t.g, t.node, "beta", 0.25);
  run_expect(&t, F32(0.75f), 1, ATOL, RTOL);
  th_free(&t);
}

Test(hard_swish, piecewise) {
  /* x * clamp(x/6 + 0.5, 0, 1): -4 -> 0; -3 -> 0; -1 -> -1/3; 0 -> 0;
   * 1 -> 2/3; 3 -> 3; 4 -> 4 */
  dlc_tensor x;
  th_node t;
  unary_begin(&t, DLC_OP_HARD_SWISH, &x, F32(-4, -3, -1, 0, 1, 3, 4), 7);
  run_expect(&t, F32(0, 0, -1 / 3.0f, 0, 2 / 3.0f, 3, 4), 7, ATOL, RTOL);
  th_free(&t);
}

Test(math_unary, erf_sqrt_exp) {
  dlc_tensor x;
  th_node t;
  /* erf(0.5) = 0.5204999, erf(-1) = -0.8427008, erf(3) = 0.9999779 */
  unary_begin(&t, DLC_OP_ERF, &x, F32(0, 0.5f, -1, 3), 4);
  run_expect(&t, F32(0, 0.5204999f, -0.8427008f, 0.9999779f), 4, ATOL, RTOL);
  th_free(&t);
  /* sqrt: {0, 4, 2} -> {0, 2, 1.4142136} */
  unary_begin(&t, DLC_OP_SQRT, &x, F32(0, 4, 2), 3);
  run_expect(&t, F32(0, 2, 1.4142136f), 3, ATOL, RTOL);
  th_free(&t);
  unary_begin(&t, DLC_OP_SQRT, &x, F32(-1), 1);
  must_run(&t);
  cr_assert(isnan(((float *)t.out[0].data)[0]), "sqrt(-1) must be NaN");
  th_free(&t);
  /* exp: {0, 1, -1} -> {1, 2.7182818, 0.3678794}; exp(100) overflows
   * float32 to +inf */
  unary_begin(&t, DLC_OP_EXP, &x, F32(0, 1, -1, 100), 4);
  must_run(&t);
  th_assert_close(t.out[0].data, F32(1, 2.7182818f, 0.3678794f), 3, ATOL, RTOL);
  cr_assert(isinf(((float *)t.out[0].data)[3]),
            "exp(100) must be +inf in float32");
  th_free(&t);
}

Test(unary, rejects_non_float_but_identity_passes_any) {
  int64_t dims[] = {3};
  dlc_tensor xi = th_i64((const int64_t[]){1, 2, 3}, 1, dims);
  th_node t;
  th_begin(&t, DLC_OP_RELU);
  th_input(&t, &xi);
  th_finish(&t, 1);
  expect_error(&t, false, "input 0 (X) must be float32, got int64");
  th_free(&t);
  th_begin(&t, DLC_OP_IDENTITY);
  th_input(&t, &xi);
  th_finish(&t, 1);
  cr_assert(th_infer(&t), "Identity on int64: %s", first_msg(&t));
  cr_assert_eq(t.out[0].dtype, DLC_DT_INT64);
  expect_shape(&t, 1, dims);
  th_free(&t);
}

/* =============================================================== Dropout */

Test(dropout, inference_identity_type) {
  /* ratio (constant 0.5) is ignored; training_mode constant 0 is fine */
  dlc_tensor x = th_f32(NULL, 2, DIMS(2, 5));
  dlc_tensor ratio = th_f32(F32(0.5f), 0, NULL);
  dlc_tensor off = th_i64((const int64_t[]){0}, 0, NULL);
  th_node t;
  th_begin(&t, DLC_OP_DROPOUT);
  th_input(&t, &x);
  th_const(&t, &ratio);
  th_const(&t, &off);
  th_finish(&t, 1);
  cr_assert(th_infer(&t), "Dropout: %s", first_msg(&t));
  cr_assert_eq(t.out[0].dtype, DLC_DT_FLOAT32);
  expect_shape(&t, 2, DIMS(2, 5));
  th_free(&t);
}

Test(dropout, mask_output_is_all_true_at_inference) {
  /* ONNX: at inference the mask says every element was kept. */
  const float xv[4] = {1, -2, 3, -4};
  dlc_tensor x = th_f32(xv, 1, DIMS(4));
  th_node t;
  th_begin(&t, DLC_OP_DROPOUT);
  th_input(&t, &x);
  th_finish(&t, 2);
  cr_assert(th_run(&t), "Dropout with a mask output must run");
  th_assert_close(t.out[0].data, xv, 4, 0, 0);
  cr_assert_eq(t.out[1].dtype, DLC_DT_UINT8);
  for (int i = 0; i < 4; i++)
    cr_expect_eq(((const uint8_t *)t.out[1].data)[i], 1, "mask[%d]", i);
  th_free(&t);
}

Test(dropout, training_mode_needs_ratio_zero) {
  /* torchvision's Swin exports F.dropout(p=0.0) as ratio 0 with
   * training_mode true: the identity. Any other ratio is refused. */
  const float xv[4] = {1, -2, 3, -4};
  dlc_tensor x = th_f32(xv, 1, DIMS(4));
  dlc_tensor on = th_i64((const int64_t[]){1}, 0, NULL);
  dlc_tensor zero = th_f32(F32(0), 0, NULL), half = th_f32(F32(0.5f), 0, NULL);
  th_node t;
  th_begin(&t, DLC_OP_DROPOUT);
  th_input(&t, &x);
  th_const(&t, &zero);
  th_const(&t, &on);
  th_finish(&t, 2);
  cr_assert(th_run(&t), "ratio 0 in training mode is the identity");
  th_assert_close(t.out[0].data, xv, 4, 0, 0);
  th_free(&t);
  th_begin(&t, DLC_OP_DROPOUT);
  th_input(&t, &x);
  th_const(&t, &half);
  th_const(&t, &on);
  th_finish(&t, 1);
  expect_error(&t, false, "training_mode is true with a ratio other than 0");
  th_free(&t);
  th_begin(&t, DLC_OP_DROPOUT);
  th_input(&t, &x);
  th_omit(&t);
  th_const(&t, &on);
  th_finish(&t, 1);
  expect_error(&t, false, "training_mode is true");
  th_free(&t);
}

/* ======================================================= binary (float) */

static void bin_begin(th_node *t, dlc_op op, const dlc_tensor *a,
                      const dlc_tensor *b) {
  th_begin(t, op);
  th_input(t, a);
  th_input(t, b);
  th_finish(t, 1);
}

Test(binary_f32, add_broadcasts_row) {
  /* [2,3] {1..6} + [3] {10,20,30} = {11,22,33,14,25,36} */
  dlc_tensor a = th_f32(a23, 2, DIMS(2, 3));
  dlc_tensor b = th_f32(F32(10, 20, 30), 1, DIMS(3));
  th_node t;
  bin_begin(&t, DLC_OP_ADD, &a, &b);
  run_expect(&t, F32(11, 22, 33, 14, 25, 36), 6, 0, 0);
  expect_shape(&t, 2, DIMS(2, 3));
  th_free(&t);
}

Test(binary_f32, sub_broadcasts_both_ways) {
  /* [2,1] {1,2} - [1,3] {10,20,30} = [2,3] {-9,-19,-29,-8,-18,-28} */
  dlc_tensor a = th_f32(F32(1, 2), 2, DIMS(2, 1));
  dlc_tensor b = th_f32(F32(10, 20, 30), 2, DIMS(1, 3));
  th_node t;
  bin_begin(&t, DLC_OP_SUB, &a, &b);
  run_expect(&t, F32(-9, -19, -29, -8, -18, -28), 6, 0, 0);
  expect_shape(&t, 2, DIMS(2, 3));
  th_free(&t);
}

Test(binary_f32, mul_by_scalar_and_div) {
  dlc_tensor a = th_f32(F32(1, 2, 3), 1, DIMS(3));
  dlc_tensor s = th_f32(F32(2), 0, NULL);
  th_node t;
  bin_begin(&t, DLC_OP_MUL, &s, &a); /* scalar first: {2, 4, 6}, shape [3] */
  run_expect(&t, F32(2, 4, 6), 3, 0, 0);
  expect_shape(&t, 1, DIMS(3));
  th_free(&t);
  /* {1,3,1} / {2,4,0} = {0.5, 0.75, +inf} */
  dlc_tensor n = th_f32(F32(1, 3, 1), 1, DIMS(3));
  dlc_tensor d = th_f32(F32(2, 4, 0), 1, DIMS(3));
  bin_begin(&t, DLC_OP_DIV, &n, &d);
  must_run(&t);
  th_assert_close(t.out[0].data, F32(0.5f, 0.75f), 2, 0, 0);
  cr_assert(isinf(((float *)t.out[0].data)[2]), "1/0 must be +inf in float32");
  th_free(&t);
}

Test(binary_f32, pow) {
  /* {2,4,9} ^ {3,0.5,0.5} = {8,2,3}; {1,2,3} ^ 2 = {1,4,9} */
  dlc_tensor a = th_f32(F32(2, 4, 9), 1, DIMS(3));
  dlc_tensor b = th_f32(F32(3, 0.5f, 0.5f), 1, DIMS(3));
  th_node t;
  bin_begin(&t, DLC_OP_POW, &a, &b);
  run_expect(&t, F32(8, 2, 3), 3, ATOL, RTOL);
  th_free(&t);
  dlc_tensor c = th_f32(F32(1, 2, 3), 1, DIMS(3)),
             two = th_f32(F32(2), 0, NULL);
  bin_begin(&t, DLC_OP_POW, &c, &two);
  run_expect(&t, F32(1, 4, 9), 3, ATOL, RTOL);
  th_free(&t);
}

Test(binary, shape_and_dtype_errors) {
  dlc_tensor a = th_f32(NULL, 2, DIMS(2, 3)), b = th_f32(NULL, 1, DIMS(4));
  th_node t;
  bin_begin(&t, DLC_OP_ADD, &a, &b);
  expect_error(&t, false, "cannot broadcast A [2, 3] and B [4]");
  th_free(&t);
  dlc_tensor i = th_i64(NULL, 1, DIMS(3));
  bin_begin(&t, DLC_OP_MUL, &a, &i);
  expect_error(
      &t, false,
      "inputs have different dtypes: A float32 [2, 3] and B int64 [3]");
  th_free(&t);
  bin_begin(&t, DLC_OP_POW, &i, &i);
  expect_error(&t, false, "dtype int64 is not supported (float32 only)");
  th_free(&t);
}

/* ======================================================= binary (int64) */

/* Runs op on int64 a, b and compares output 0 exactly with want[0..n). */
static void run_i64(dlc_op op, const dlc_tensor *a, const dlc_tensor *b,
                    const int64_t *want, int64_t n) {
  th_node t;
  bin_begin(&t, op, a, b);
  must_run(&t);
  cr_assert_eq(t.out[0].dtype, DLC_DT_INT64, "output dtype");
  cr_assert_eq(dlc_tensor_numel(&t.out[0]), n, "output element count");
  const int64_t *got = t.out[0].data;
  for (int64_t i = 0; i < n; i++)
    cr_assert_eq(got[i], want[i], "%s element %lld: want %lld, got %lld",
                 dlc_op_name(op), (long long)i, (long long)want[i],
                 (long long)got[i]);
  th_free(&t);
}

Test(binary_i64, shape_arithmetic) {
  dlc_tensor a = th_i64((const int64_t[]){1, 2, 3}, 1, DIMS(3));
  dlc_tensor ten = th_i64((const int64_t[]){10}, 1, DIMS(1));
  run_i64(DLC_OP_ADD, &a, &ten, (const int64_t[]){11, 12, 13}, 3);
  run_i64(DLC_OP_SUB, &a, &ten, (const int64_t[]){-9, -8, -7}, 3);
  /* [2] {3,-4} * [2,1] {2,-1} = [2,2] {6,-8,-3,4} */
  dlc_tensor r = th_i64((const int64_t[]){3, -4}, 1, DIMS(2));
  dlc_tensor col = th_i64((const int64_t[]){2, -1}, 2, DIMS(2, 1));
  run_i64(DLC_OP_MUL, &r, &col, (const int64_t[]){6, -8, -3, 4}, 4);
}

Test(binary_i64, div_truncates_toward_zero) {
  /* C semantics: 7/2 = 3, -7/2 = -3, 7/-2 = -3, -7/-2 = 3 */
  dlc_tensor n = th_i64((const int64_t[]){7, -7, 7, -7}, 1, DIMS(4));
  dlc_tensor d = th_i64((const int64_t[]){2, 2, -2, -2}, 1, DIMS(4));
  run_i64(DLC_OP_DIV, &n, &d, (const int64_t[]){3, -3, -3, 3}, 4);
}

Test(binary_i64, overflow_wraps_instead_of_trapping) {
  /* two's complement: INT64_MAX + 1 = INT64_MIN; INT64_MIN / -1 = INT64_MIN */
  dlc_tensor mx = th_i64((const int64_t[]){INT64_MAX}, 1, DIMS(1));
  dlc_tensor one = th_i64((const int64_t[]){1}, 1, DIMS(1));
  run_i64(DLC_OP_ADD, &mx, &one, (const int64_t[]){INT64_MIN}, 1);
  dlc_tensor mn = th_i64((const int64_t[]){INT64_MIN}, 1, DIMS(1));
  dlc_tensor m1 = th_i64((const int64_t[]){-1}, 1, DIMS(1));
  run_i64(DLC_OP_DIV, &mn, &m1, (const int64_t[]){INT64_MIN}, 1);
}

Test(binary_i64, division_by_zero_is_an_error) {
  dlc_tensor n = th_i64((const int64_t[]){4, 5}, 1, DIMS(2));
  dlc_tensor d = th_i64((const int64_t[]){2, 0}, 1, DIMS(2));
  th_node t;
  bin_begin(&t, DLC_OP_DIV, &n, &d);
  expect_error(&t, true, "int64 division by zero at output element 1");
  th_free(&t);
}

Test(binary, output_element_count_overflow_is_an_error) {
  /* [2^32, 1] + [1, 2^32] would have 2^64 elements: refused, not wrapped */
  dlc_tensor a = th_f32(NULL, 2, DIMS(INT64_C(1) << 32, 1));
  dlc_tensor b = th_f32(NULL, 2, DIMS(1, INT64_C(1) << 32));
  th_node t;
  bin_begin(&t, DLC_OP_ADD, &a, &b);
  expect_error(&t, false,
               "output shape [4294967296, 4294967296] has too many elements");
  th_free(&t);
}

Test(matmul, output_element_count_overflow_is_an_error) {
  /* [2^33, 1] x [1, 2^33]: 2^66 outputs */
  dlc_tensor a, b;
  th_node t;
  mm_begin(&t, &a, &b, NULL, 2, DIMS(INT64_C(1) << 33, 1), NULL, 2,
           DIMS(1, INT64_C(1) << 33));
  expect_error(&t, false, "has too many elements");
  th_free(&t);
}
