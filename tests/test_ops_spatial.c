/* test_ops_spatial.c — reference kernels and shape inference of the ops of
 * ir/ops_spatial.c: Conv, ConvTranspose, MaxPool, AveragePool, the global
 * pools, Pad and Resize.
 *
 * Every operator has hand-computed cases (the arithmetic is in the comments);
 * larger cases are checked against PyTorch 1.13 values pasted as literals at
 * the end of the file (see the comment there for the generating script).
 * Tolerances: hand cases 1e-5 absolute; PyTorch cases 1e-4 absolute +
 * 1e-4 relative (float32 accumulation order differs). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "helpers.h"

/* PyTorch reference values, defined at the end of the file. */
extern const float conv_want[144], convt_want[120], avg_incl_want[32],
    avg_excl_want[32], max_want[18], bilinear_hp_want[80],
    bilinear_ac_want[80], nearest_want[168];
extern const int64_t max_idx_want[18];

/* ------------------------------------------------------------- helpers */

/* The deterministic data the PyTorch script uses: v[i] = sin(a*i + b). */
static void fill(float *v, int64_t n, double a, double b) {
  for (int64_t i = 0; i < n; i++)
    v[i] = (float)sin(a * (double)i + b);
}

static const char *first_msg(const th_node *t) {
  return t->diag.messages.n ? t->diag.messages.items[0] : "(no diagnostics)";
}

static void run_ok(th_node *t) {
  bool ok = th_run(t);
  cr_assert(ok, "node failed: %s", first_msg(t));
}

static void expect_shape(const th_node *t, int slot, int rank,
                         const int64_t *dims) {
  const dlc_tensor *o = &t->out[slot];
  cr_assert_eq(o->rank, rank, "output %d: rank %d, want %d", slot, o->rank,
               rank);
  for (int i = 0; i < rank; i++)
    cr_assert_eq(o->dims[i], dims[i], "output %d dim %d: got %lld, want %lld",
                 slot, i, (long long)o->dims[i], (long long)dims[i]);
}

/* Inference must fail, naming the node and containing each needle. */
static void expect_error(th_node *t, const char *needle1,
                         const char *needle2) {
  cr_assert_not(th_infer(t), "inference should have failed");
  cr_assert(dlc_diag_contains(&t->diag, "node 'n0'"),
            "message does not name the node: %s", first_msg(t));
  cr_assert(dlc_diag_contains(&t->diag, needle1), "want '%s' in: %s", needle1,
            first_msg(t));
  if (needle2)
    cr_assert(dlc_diag_contains(&t->diag, needle2), "want '%s' in: %s",
              needle2, first_msg(t));
}

static void set_ints(th_node *t, const char *name, const int64_t *v, int n) {
  dlc_node_set_ints(t->g, t->node, name, v, n);
}

/* MAC count of the node through the table, with inferred output types. */
static int64_t node_macs(th_node *t) {
  cr_assert(th_infer(t), "infer failed: %s", first_msg(t));
  const dlc_tensor *in[16];
  for (int i = 0; i < t->n_ins; i++)
    in[i] = t->ins[i] ? &t->ins[i]->type : NULL;
  dlc_op_ctx c = {.node = t->node, .n_inputs = t->n_ins, .in = in,
                  .n_outputs = t->n_outs, .out = t->out};
  return dlc_op_get_info(t->node->op)->macs(&c);
}

/* A one-output node over a float input and an optional constant weight and
 * bias; the caller sets attributes and runs it. */
static void begin_conv(th_node *t, dlc_op op, const dlc_tensor *x,
                       const dlc_tensor *w, const dlc_tensor *b) {
  th_begin(t, op);
  th_input(t, x);
  th_const(t, w);
  if (b)
    th_const(t, b);
  th_finish(t, 1);
}

/* ----------------------------------------------------------------- Conv */

Test(conv, plain_2d_with_bias_and_inferred_kernel_shape) {
  /* X = 1..9 as 3x3, W = [[1,2],[3,4]], B = 0.5, no kernel_shape attribute:
   * Y00 = 1*1+2*2+4*3+5*4 = 37, Y01 = 2+6+15+24 = 47,
   * Y10 = 4+10+21+32 = 67, Y11 = 5+12+24+36 = 77; plus 0.5 each. */
  float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[4] = {1, 2, 3, 4}, b[1] = {0.5f};
  int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2}, bd[1] = {1};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd), B = th_f32(b, 1, bd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, &B);
  run_ok(&t);
  int64_t yd[4] = {1, 1, 2, 2};
  expect_shape(&t, 0, 4, yd);
  float want[4] = {37.5f, 47.5f, 67.5f, 77.5f};
  th_assert_close(t.out[0].data, want, 4, 1e-5, 0);
  th_free(&t);
}

Test(conv, asymmetric_pads_and_strides) {
  /* X = 1..9 (3x3), W = 3x3 ones, pads top=1 left=0 bottom=0 right=1,
   * strides [2,1]: padded 4x4, out H = (4-3)/2+1 = 1, W = (4-3)/1+1 = 2.
   * Y00 = rows -1..1 (0,1 real) cols 0..2 = 1+2+3+4+5+6 = 21;
   * Y01 = rows 0,1, cols 1..3 (1,2 real) = 2+3+5+6 = 16. */
  float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w[9];
  for (int i = 0; i < 9; i++)
    w[i] = 1;
  int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 3, 3};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  int64_t pads[4] = {1, 0, 0, 1}, strides[2] = {2, 1}, ks[2] = {3, 3};
  set_ints(&t, "pads", pads, 4);
  set_ints(&t, "strides", strides, 2);
  set_ints(&t, "kernel_shape", ks, 2);
  run_ok(&t);
  int64_t yd[4] = {1, 1, 1, 2};
  expect_shape(&t, 0, 4, yd);
  float want[2] = {21, 16};
  th_assert_close(t.out[0].data, want, 2, 1e-5, 0);
  th_free(&t);
}

Test(conv, dilation) {
  /* X[r][c] = 5r + c (5x5), W = 2x2 ones, dilations 2 (extent 3) -> 3x3:
   * Y[i][j] = x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2]
   *         = 4(5i+j) + 2 + 10 + 12 = 20i + 4j + 24. */
  float x[25], w[4] = {1, 1, 1, 1};
  for (int i = 0; i < 25; i++)
    x[i] = (float)i;
  int64_t xd[4] = {1, 1, 5, 5}, wd[4] = {1, 1, 2, 2}, dil[2] = {2, 2};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  set_ints(&t, "dilations", dil, 2);
  run_ok(&t);
  float want[9];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      want[i * 3 + j] = (float)(20 * i + 4 * j + 24);
  th_assert_close(t.out[0].data, want, 9, 1e-5, 0);
  th_free(&t);
}

Test(conv, groups_pick_their_own_channels) {
  /* Cin 4, Cout 2, group 2, 1x1 kernels, W (2, 2, 1, 1) = [[1,10],[100,1000]]
   * X channels are constants 1, 2, 3, 4 on a 1x2 map:
   * Y0 = 1*1 + 10*2 = 21 (channels 0,1); Y1 = 100*3 + 1000*4 = 4300. */
  float x[8] = {1, 1, 2, 2, 3, 3, 4, 4}, w[4] = {1, 10, 100, 1000};
  int64_t xd[4] = {1, 4, 1, 2}, wd[4] = {2, 2, 1, 1};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 2);
  run_ok(&t);
  float want[4] = {21, 21, 4300, 4300};
  th_assert_close(t.out[0].data, want, 4, 1e-5, 0);
  th_free(&t);
}

Test(conv, depthwise_with_batch) {
  /* N 2, C 2, group 2, W (2,1,1,2) = [[1,-1]], [[2,2]]: channel 0 gives
   * x[j] - x[j+1], channel 1 gives 2(x[j] + x[j+1]). X rows (length 3):
   * n0c0 [1,4,9] -> [-3,-5]; n0c1 [1,1,1] -> [4,4];
   * n1c0 [0,1,0] -> [-1,1]; n1c1 [5,-5,2] -> [0,-6]. */
  float x[12] = {1, 4, 9, 1, 1, 1, 0, 1, 0, 5, -5, 2};
  float w[4] = {1, -1, 2, 2};
  int64_t xd[4] = {2, 2, 1, 3}, wd[4] = {2, 1, 1, 2};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 2);
  run_ok(&t);
  float want[8] = {-3, -5, 4, 4, -1, 1, 0, -6};
  th_assert_close(t.out[0].data, want, 8, 1e-5, 0);
  th_free(&t);
}

/* 1-D conv of X = [1,2,3,4] with W = [1,10] under an auto_pad mode. */
static void conv1d_auto_pad(const char *mode, int64_t stride, int n_want,
                            const float *want) {
  float x[4] = {1, 2, 3, 4}, w[2] = {1, 10};
  int64_t xd[3] = {1, 1, 4}, wd[3] = {1, 1, 2};
  dlc_tensor X = th_f32(x, 3, xd), W = th_f32(w, 3, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  dlc_node_set_string(t.g, t.node, "auto_pad", mode);
  set_ints(&t, "strides", &stride, 1);
  run_ok(&t);
  int64_t yd[3] = {1, 1, n_want};
  expect_shape(&t, 0, 3, yd);
  th_assert_close(t.out[0].data, want, n_want, 1e-5, 0);
  th_free(&t);
}

Test(conv, auto_pad_modes_1d) {
  /* Y[o] = x[o'] + 10 x[o'+1] over the padded input.
   * SAME_UPPER: out 4, total pad 1 at the end: [21, 32, 43, 4].
   * SAME_LOWER: the pad goes first: [0+10, 1+20, 2+30, 3+40].
   * VALID: [21, 32, 43]. SAME_UPPER stride 2: out 2, total
   * (2-1)*2 + 2 - 4 = 0: [21, 43]. */
  float upper[4] = {21, 32, 43, 4}, lower[4] = {10, 21, 32, 43};
  float valid[3] = {21, 32, 43}, upper_s2[2] = {21, 43};
  conv1d_auto_pad("SAME_UPPER", 1, 4, upper);
  conv1d_auto_pad("SAME_LOWER", 1, 4, lower);
  conv1d_auto_pad("VALID", 1, 3, valid);
  conv1d_auto_pad("SAME_UPPER", 2, 2, upper_s2);
}

Test(conv, three_spatial_dims) {
  /* X = 1..8 as 2x2x2, W = 2x2x2 ones with bias -1 -> one value 36 - 1. */
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, w[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  float b[1] = {-1};
  int64_t xd[5] = {1, 1, 2, 2, 2}, bd[1] = {1};
  dlc_tensor X = th_f32(x, 5, xd), W = th_f32(w, 5, xd), B = th_f32(b, 1, bd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, &B);
  run_ok(&t);
  int64_t yd[5] = {1, 1, 1, 1, 1};
  expect_shape(&t, 0, 5, yd);
  float want[1] = {35};
  th_assert_close(t.out[0].data, want, 1, 1e-5, 0);
  th_free(&t);
}

Test(conv, matches_pytorch_grouped_strided_dilated) {
  /* torch: F.conv2d(x, w, b, stride=(2,1), padding=(1,2), dilation=(2,1),
   * groups=2) with x (1,4,7,6), w (6,2,3,3), b (6). */
  float x[168], w[108], b[6];
  fill(x, 168, 0.37, 0.1);
  fill(w, 108, 0.23, 0.5);
  fill(b, 6, 1.1, 0.3);
  int64_t xd[4] = {1, 4, 7, 6}, wd[4] = {6, 2, 3, 3}, bd[1] = {6};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd), B = th_f32(b, 1, bd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, &B);
  int64_t strides[2] = {2, 1}, pads[4] = {1, 2, 1, 2}, dil[2] = {2, 1};
  set_ints(&t, "strides", strides, 2);
  set_ints(&t, "pads", pads, 4);
  set_ints(&t, "dilations", dil, 2);
  dlc_node_set_int(t.g, t.node, "group", 2);
  run_ok(&t);
  int64_t yd[4] = {1, 6, 3, 8};
  expect_shape(&t, 0, 4, yd);
  th_assert_close(t.out[0].data, conv_want, 144, 1e-4, 1e-4);
  th_free(&t);
}

Test(conv, macs) {
  /* Y (1,16,6,6) from X (1,4,8,8), W (16,2,3,3), group 2:
   * 576 outputs x 2 channels x 9 taps = 10368. */
  int64_t xd[4] = {1, 4, 8, 8}, wd[4] = {16, 2, 3, 3};
  float w[288] = {0};
  dlc_tensor X = th_f32(NULL, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 2);
  int64_t m = node_macs(&t);
  cr_assert_eq(m, 10368, "macs: got %lld, want 10368", (long long)m);
  th_free(&t);
}

Test(conv, shape_errors) {
  float w[576] = {0}; /* big enough for both weights below */
  int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {16, 4, 3, 3};
  dlc_tensor X = th_f32(NULL, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  /* channel count against W and group */
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  expect_error(&t, "input X [1, 3, 8, 8] has 3 channels but weight W "
                   "[16, 4, 3, 3] with group 1 expects 4",
               NULL);
  th_free(&t);
  /* bias of the wrong length */
  int64_t wd3[4] = {16, 3, 3, 3}, bd[1] = {15};
  float b[15] = {0};
  dlc_tensor W3 = th_f32(w, 4, wd3), B = th_f32(b, 1, bd);
  begin_conv(&t, DLC_OP_CONV, &X, &W3, &B);
  expect_error(&t, "bias B [15]", "[16]");
  th_free(&t);
  /* stride 0 */
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  int64_t s0[2] = {1, 0};
  set_ints(&t, "strides", s0, 2);
  expect_error(&t, "strides[1] = 0", NULL);
  th_free(&t);
  /* pads of the wrong length */
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  int64_t p2[2] = {1, 1};
  set_ints(&t, "pads", p2, 2);
  expect_error(&t, "pads has 2 values, expected 4", NULL);
  th_free(&t);
  /* kernel larger than the input */
  int64_t xs[4] = {1, 3, 2, 8};
  dlc_tensor Xs = th_f32(NULL, 4, xs);
  begin_conv(&t, DLC_OP_CONV, &Xs, &W3, NULL);
  expect_error(&t, "[1, 3, 2, 8]", "smaller than the kernel extent 3");
  th_free(&t);
  /* kernel_shape contradicting W */
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  int64_t ks[2] = {3, 5};
  set_ints(&t, "kernel_shape", ks, 2);
  expect_error(&t, "kernel_shape[1] = 5 does not match weight W [16, 3, 3, 3]",
               NULL);
  th_free(&t);
  /* a huge dilation must be refused, not overflow */
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  int64_t dil[2] = {1, INT64_MAX / 2};
  set_ints(&t, "dilations", dil, 2);
  expect_error(&t, "dilations[1]", "out of range");
  th_free(&t);
  /* unknown auto_pad, and pads together with auto_pad */
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME");
  expect_error(&t, "auto_pad 'SAME'", NULL);
  th_free(&t);
  begin_conv(&t, DLC_OP_CONV, &X, &W3, NULL);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_UPPER");
  int64_t p4[4] = {1, 1, 1, 1};
  set_ints(&t, "pads", p4, 4);
  expect_error(&t, "cannot be combined with auto_pad SAME_UPPER", NULL);
  th_free(&t);
}

/* -------------------------------------------------------- ConvTranspose */

/* 1-D ConvTranspose of X = [1,2] with W = [1,10,100], stride 2. The full
 * output is Y[2i + k] += x[i] w[k] = [1, 10, 100+2, 20, 200]. */
static void convt1d(th_node *t) {
  static float x[2] = {1, 2}, w[3] = {1, 10, 100};
  static int64_t xd[3] = {1, 1, 2}, wd[3] = {1, 1, 3}, s[1] = {2};
  static dlc_tensor X, W; /* X is borrowed until th_run */
  X = th_f32(x, 3, xd);
  W = th_f32(w, 3, wd);
  begin_conv(t, DLC_OP_CONV_TRANSPOSE, &X, &W, NULL);
  set_ints(t, "strides", s, 1);
}

static void convt1d_expect(th_node *t, int n, const float *want) {
  run_ok(t);
  int64_t yd[3] = {1, 1, n};
  expect_shape(t, 0, 3, yd);
  th_assert_close(t->out[0].data, want, n, 1e-5, 0);
  th_free(t);
}

Test(conv_transpose, strides_pads_output_padding_1d) {
  th_node t;
  float full[5] = {1, 10, 102, 20, 200};
  convt1d(&t);
  convt1d_expect(&t, 5, full);
  /* pads [1,1] trim one from each end */
  float trimmed[3] = {10, 102, 20};
  int64_t pads[2] = {1, 1};
  convt1d(&t);
  set_ints(&t, "pads", pads, 2);
  convt1d_expect(&t, 3, trimmed);
  /* output_padding 1 appends one position no input reaches */
  float extended[6] = {1, 10, 102, 20, 200, 0};
  int64_t op[1] = {1};
  convt1d(&t);
  set_ints(&t, "output_padding", op, 1);
  convt1d_expect(&t, 6, extended);
}

Test(conv_transpose, output_shape_and_auto_pad_1d) {
  th_node t;
  /* output_shape [4]: total pad 5-4 = 1, NOTSET puts it at the end. */
  float tail[4] = {1, 10, 102, 20}, head[4] = {10, 102, 20, 200};
  int64_t os[1] = {4};
  convt1d(&t);
  set_ints(&t, "output_shape", os, 1);
  convt1d_expect(&t, 4, tail);
  /* the same with SAME_LOWER puts it at the beginning */
  convt1d(&t);
  set_ints(&t, "output_shape", os, 1);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_LOWER");
  convt1d_expect(&t, 4, head);
  /* SAME_UPPER without output_shape: out = in * stride = 4, pad at end */
  convt1d(&t);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_UPPER");
  convt1d_expect(&t, 4, tail);
  /* output_shape given as the full (N, C, L) shape */
  int64_t os3[3] = {1, 1, 4};
  convt1d(&t);
  set_ints(&t, "output_shape", os3, 3);
  convt1d_expect(&t, 4, tail);
}

Test(conv_transpose, plain_2d_and_dilation) {
  /* X [[1,2],[3,4]], W 2x2 ones, stride 1: every input spreads over a 2x2
   * block: [[1,3,2],[4,10,6],[3,7,4]], bias 0.5 added. */
  float x[4] = {1, 2, 3, 4}, w[4] = {1, 1, 1, 1}, b[1] = {0.5f};
  int64_t xd[4] = {1, 1, 2, 2}, bd[1] = {1};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, xd), B = th_f32(b, 1, bd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, &B);
  run_ok(&t);
  float want[9] = {1.5f, 3.5f, 2.5f, 4.5f, 10.5f, 6.5f, 3.5f, 7.5f, 4.5f};
  th_assert_close(t.out[0].data, want, 9, 1e-5, 0);
  th_free(&t);
  /* 1-D dilation 2: X [1,2], W [1,10]: o = i + 2k ->
   * o0 = 1, o1 = 2, o2 = 10, o3 = 20. */
  float x1[2] = {1, 2}, w1[2] = {1, 10};
  int64_t x1d[3] = {1, 1, 2}, dil[1] = {2};
  dlc_tensor X1 = th_f32(x1, 3, x1d), W1 = th_f32(w1, 3, x1d);
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X1, &W1, NULL);
  set_ints(&t, "dilations", dil, 1);
  float want1[4] = {1, 2, 10, 20};
  convt1d_expect(&t, 4, want1);
}

Test(conv_transpose, groups) {
  /* Cin 2, group 2, W (2, 2, 1) = [[1,2],[3,4]] -> Cout 4:
   * channel 0 (x=3) feeds outputs 0,1: 3, 6; channel 1 (x=5) feeds 2,3:
   * 15, 20. */
  float x[2] = {3, 5}, w[4] = {1, 2, 3, 4};
  int64_t xd[3] = {1, 2, 1}, wd[3] = {2, 2, 1};
  dlc_tensor X = th_f32(x, 3, xd), W = th_f32(w, 3, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 2);
  run_ok(&t);
  int64_t yd[3] = {1, 4, 1};
  expect_shape(&t, 0, 3, yd);
  float want[4] = {3, 6, 15, 20};
  th_assert_close(t.out[0].data, want, 4, 1e-5, 0);
  th_free(&t);
}

Test(conv_transpose, matches_pytorch) {
  /* torch: F.conv_transpose2d(x, w, b, stride=(2,3), padding=(1,0),
   * output_padding=(1,2), groups=2, dilation=(2,1)), x (1,2,2,3),
   * w (2,1,3,2), b (2). */
  float x[12], w[12], b[2];
  fill(x, 12, 0.37, 0.1);
  fill(w, 12, 0.23, 0.5);
  fill(b, 2, 1.1, 0.3);
  int64_t xd[4] = {1, 2, 2, 3}, wd[4] = {2, 1, 3, 2}, bd[1] = {2};
  dlc_tensor X = th_f32(x, 4, xd), W = th_f32(w, 4, wd), B = th_f32(b, 1, bd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, &B);
  int64_t s[2] = {2, 3}, pads[4] = {1, 0, 1, 0}, op[2] = {1, 2},
          dil[2] = {2, 1};
  set_ints(&t, "strides", s, 2);
  set_ints(&t, "pads", pads, 4);
  set_ints(&t, "output_padding", op, 2);
  set_ints(&t, "dilations", dil, 2);
  dlc_node_set_int(t.g, t.node, "group", 2);
  run_ok(&t);
  int64_t yd[4] = {1, 2, 6, 10};
  expect_shape(&t, 0, 4, yd);
  th_assert_close(t.out[0].data, convt_want, 120, 1e-4, 1e-4);
  th_free(&t);
}

Test(conv_transpose, macs_and_errors) {
  /* X (1,4,5,5), W (4,3,2,2), group 2 -> Cout 6:
   * 100 inputs x 3 x 4 taps = 1200 MACs. */
  float w[48] = {0};
  int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {4, 3, 2, 2};
  dlc_tensor X = th_f32(NULL, 4, xd), W = th_f32(w, 4, wd);
  th_node t;
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 2);
  int64_t m = node_macs(&t);
  cr_assert_eq(m, 1200, "macs: got %lld, want 1200", (long long)m);
  int64_t yd[4] = {1, 6, 6, 6};
  expect_shape(&t, 0, 4, yd);
  th_free(&t);
  /* W's first dim must be Cin */
  int64_t wd2[4] = {3, 3, 2, 2};
  dlc_tensor W2 = th_f32(w, 4, wd2);
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W2, NULL);
  expect_error(&t, "input X [1, 4, 5, 5] has 4 channels but weight W "
                   "[3, 3, 2, 2] expects 3",
               NULL);
  th_free(&t);
  /* pads that eat the whole output */
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, NULL);
  int64_t pads[4] = {3, 3, 3, 3};
  set_ints(&t, "pads", pads, 4);
  expect_error(&t, "gives output size 0", NULL);
  th_free(&t);
  /* group that does not divide Cin */
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &X, &W, NULL);
  dlc_node_set_int(t.g, t.node, "group", 3);
  expect_error(&t, "which group 3 does not divide", NULL);
  th_free(&t);
}

/* ---------------------------------------------------------------- pools */

/* A MaxPool / AveragePool node over a run-time input with kernel_shape. */
static void begin_pool(th_node *t, dlc_op op, const dlc_tensor *x,
                       const int64_t *k, int nk, int n_outputs) {
  th_begin(t, op);
  th_input(t, x);
  th_finish(t, n_outputs);
  set_ints(t, "kernel_shape", k, nk);
}

Test(max_pool, two_by_two_with_indices) {
  /* Two channels; channel 1 = channel 0 + 100.
   * [[1,5,2,0],[3,4,8,1],[9,0,1,1],[2,2,7,6]], k 2, s 2:
   * windows {1,5,3,4} -> 5 @1, {2,0,8,1} -> 8 @6, {9,0,2,2} -> 9 @8,
   * {1,1,7,6} -> 7 @14; channel 1's indices are offset by 16. */
  float x[32] = {1, 5, 2, 0, 3, 4, 8, 1, 9, 0, 1, 1, 2, 2, 7, 6};
  for (int i = 0; i < 16; i++)
    x[16 + i] = x[i] + 100;
  int64_t xd[4] = {1, 2, 4, 4}, k[2] = {2, 2};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_pool(&t, DLC_OP_MAX_POOL, &X, k, 2, 2);
  set_ints(&t, "strides", k, 2);
  run_ok(&t);
  int64_t yd[4] = {1, 2, 2, 2};
  expect_shape(&t, 0, 4, yd);
  cr_assert_eq(t.out[1].dtype, DLC_DT_INT64);
  float want[8] = {5, 8, 9, 7, 105, 108, 109, 107};
  int64_t want_idx[8] = {1, 6, 8, 14, 17, 22, 24, 30};
  th_assert_close(t.out[0].data, want, 8, 0, 0);
  const int64_t *idx = t.out[1].data;
  for (int i = 0; i < 8; i++)
    cr_assert_eq(idx[i], want_idx[i], "index %d: got %lld, want %lld", i,
                 (long long)idx[i], (long long)want_idx[i]);
  th_free(&t);
}

/* 1-D MaxPool of x (length n) with k; returns the outputs in t. */
static void max_pool_1d(th_node *t, const float *x, int64_t n, int64_t k) {
  static int64_t xd[3];
  static dlc_tensor X;
  xd[0] = 1, xd[1] = 1, xd[2] = n;
  X = th_f32(x, 3, xd);
  begin_pool(t, DLC_OP_MAX_POOL, &X, &k, 1, 1);
}

static void expect_1d(th_node *t, int n, const float *want) {
  run_ok(t);
  int64_t yd[3] = {1, 1, n};
  expect_shape(t, 0, 3, yd);
  th_assert_close(t->out[0].data, want, n, 1e-5, 0);
  th_free(t);
}

Test(max_pool, ceil_mode_padding_dilation_1d) {
  th_node t;
  int64_t s2 = 2;
  /* [1,3,2,5,4], k 2 s 2: floor gives [3,5]; ceil keeps the partial last
   * window [4]: ceil(3/2)+1 = 3 outputs. */
  float x[5] = {1, 3, 2, 5, 4};
  float floor_want[2] = {3, 5}, ceil_want[3] = {3, 5, 4};
  max_pool_1d(&t, x, 5, 2);
  set_ints(&t, "strides", &s2, 1);
  expect_1d(&t, 2, floor_want);
  max_pool_1d(&t, x, 5, 2);
  set_ints(&t, "strides", &s2, 1);
  dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
  expect_1d(&t, 3, ceil_want);
  /* ceil rule: [1,2,3,4], k 2 s 2, pads [0,1]: ceil((4+1-2)/2)+1 = 3, but
   * the third window would start at 4 = in + left pad, past the input,
   * so it is dropped: [2,4]. */
  float x4[4] = {1, 2, 3, 4}, rule_want[2] = {2, 4};
  int64_t pads[2] = {0, 1};
  max_pool_1d(&t, x4, 4, 2);
  set_ints(&t, "strides", &s2, 1);
  set_ints(&t, "pads", pads, 2);
  dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
  expect_1d(&t, 2, rule_want);
  /* padding never wins: [-1,-2,-3], k 2, pads [1,1] -> [-1,-1,-2,-3] */
  float neg[3] = {-1, -2, -3}, neg_want[4] = {-1, -1, -2, -3};
  int64_t p11[2] = {1, 1};
  max_pool_1d(&t, neg, 3, 2);
  set_ints(&t, "pads", p11, 2);
  expect_1d(&t, 4, neg_want);
  /* dilation 2, k 2 (extent 3): [1,9,2,8,3,7] -> max(x[i], x[i+2]) =
   * [2,9,3,8] */
  float xd6[6] = {1, 9, 2, 8, 3, 7}, dil_want[4] = {2, 9, 3, 8};
  max_pool_1d(&t, xd6, 6, 2);
  set_ints(&t, "dilations", &s2, 1);
  expect_1d(&t, 4, dil_want);
}

Test(max_pool, auto_pad_1d) {
  /* [1,2,3,4,5], k 2 s 2, out ceil(5/2) = 3, total pad (3-1)*2+2-5 = 1.
   * SAME_UPPER pads the end: windows [1,2],[3,4],[5] -> [2,4,5];
   * SAME_LOWER pads the start: [_,1],[2,3],[4,5] -> [1,3,5]. */
  th_node t;
  float x[5] = {1, 2, 3, 4, 5}, up[3] = {2, 4, 5}, low[3] = {1, 3, 5};
  int64_t s2 = 2;
  max_pool_1d(&t, x, 5, 2);
  set_ints(&t, "strides", &s2, 1);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_UPPER");
  expect_1d(&t, 3, up);
  max_pool_1d(&t, x, 5, 2);
  set_ints(&t, "strides", &s2, 1);
  dlc_node_set_string(t.g, t.node, "auto_pad", "SAME_LOWER");
  expect_1d(&t, 3, low);
}

Test(max_pool, nan_propagates) {
  /* NaN in a window makes that output NaN; other windows are unaffected. */
  th_node t;
  float x[4] = {1, NAN, 3, 2};
  int64_t s2 = 2;
  max_pool_1d(&t, x, 4, 2);
  set_ints(&t, "strides", &s2, 1);
  run_ok(&t);
  const float *y = t.out[0].data;
  cr_assert(isnan(y[0]), "y[0]: got %g, want NaN", y[0]);
  cr_assert_eq(y[1], 3.0f, "y[1]: got %g, want 3", y[1]);
  th_free(&t);
}

Test(max_pool, matches_pytorch_with_indices) {
  /* torch: F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True,
   * return_indices=True) on x (1,2,6,7); torch's per-plane indices + 42 *
   * channel give ONNX's flat indices. */
  float x[84];
  fill(x, 84, 0.37, 0.1);
  int64_t xd[4] = {1, 2, 6, 7}, k[2] = {3, 3}, s[2] = {2, 2},
          p[4] = {1, 1, 1, 1}, d[2] = {2, 2};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_pool(&t, DLC_OP_MAX_POOL, &X, k, 2, 2);
  set_ints(&t, "strides", s, 2);
  set_ints(&t, "pads", p, 4);
  set_ints(&t, "dilations", d, 2);
  dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
  run_ok(&t);
  int64_t yd[4] = {1, 2, 3, 3};
  expect_shape(&t, 0, 4, yd);
  expect_shape(&t, 1, 4, yd);
  th_assert_close(t.out[0].data, max_want, 18, 0, 0);
  const int64_t *idx = t.out[1].data;
  for (int i = 0; i < 18; i++)
    cr_assert_eq(idx[i], max_idx_want[i], "index %d: got %lld, want %lld", i,
                 (long long)idx[i], (long long)max_idx_want[i]);
  th_free(&t);
}

Test(max_pool, errors) {
  int64_t xd[4] = {1, 1, 4, 4}, k[2] = {2, 2};
  dlc_tensor X = th_f32(NULL, 4, xd);
  th_node t;
  begin_pool(&t, DLC_OP_MAX_POOL, &X, k, 2, 1);
  dlc_node_set_int(t.g, t.node, "storage_order", 1);
  expect_error(&t, "storage_order 1", "not supported");
  th_free(&t);
  th_begin(&t, DLC_OP_MAX_POOL);
  th_input(&t, &X);
  th_finish(&t, 1);
  expect_error(&t, "kernel_shape is required", NULL);
  th_free(&t);
  begin_pool(&t, DLC_OP_MAX_POOL, &X, k, 2, 1);
  int64_t pads[4] = {2, 0, 0, 0};
  set_ints(&t, "pads", pads, 4);
  expect_error(&t, "must be smaller than the window extent 2", NULL);
  th_free(&t);
  int64_t k3[3] = {2, 2, 2};
  begin_pool(&t, DLC_OP_MAX_POOL, &X, k3, 3, 1);
  expect_error(&t, "kernel_shape has 3 values, expected 2", NULL);
  th_free(&t);
  int64_t x2[2] = {1, 4};
  dlc_tensor X2 = th_f32(NULL, 2, x2);
  begin_pool(&t, DLC_OP_MAX_POOL, &X2, k, 1, 1);
  expect_error(&t, "input X [1, 4] must have rank >= 3", NULL);
  th_free(&t);
}

Test(average_pool, padding_counted_or_not) {
  /* X = 1..9 (3x3). k 2 s 1: [3,4,6,7] (means of 2x2 blocks).
   * k 3, s 2, pads 1: windows at rows/cols -1..1 and 1..3:
   * sums 12, 16, 24, 28 over 4 real elements -> [3,4,6,7];
   * counting padding divides by 9. */
  float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  int64_t xd[4] = {1, 1, 3, 3}, k2[2] = {2, 2}, k3[2] = {3, 3},
          s2[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_pool(&t, DLC_OP_AVERAGE_POOL, &X, k2, 2, 1);
  run_ok(&t);
  float want[4] = {3, 4, 6, 7};
  th_assert_close(t.out[0].data, want, 4, 1e-5, 0);
  th_free(&t);
  for (int incl = 0; incl < 2; incl++) {
    begin_pool(&t, DLC_OP_AVERAGE_POOL, &X, k3, 2, 1);
    set_ints(&t, "strides", s2, 2);
    set_ints(&t, "pads", p1, 4);
    dlc_node_set_int(t.g, t.node, "count_include_pad", incl);
    run_ok(&t);
    float div = incl ? 9.0f : 4.0f;
    float w[4] = {12 / div, 16 / div, 24 / div, 28 / div};
    th_assert_close(t.out[0].data, w, 4, 1e-5, 0);
    th_free(&t);
  }
}

Test(average_pool, ceil_mode_overhang_is_never_counted) {
  /* X [1,2,3,4,5], k 3, s 2, pads [1,0], ceil: (5+1-3)/2 = 1.5 -> 3
   * windows starting at -1, 1, 3: {pad,1,2}, {2,3,4}, {4,5,beyond}.
   * exclude pad: 1.5, 3, 4.5; include pad: 3/3 = 1, 9/3 = 3, and the
   * third window's position 5 lies beyond in + end pad = 5 so it has
   * divisor 2: 9/2 = 4.5. */
  float x[5] = {1, 2, 3, 4, 5};
  int64_t xd[3] = {1, 1, 5}, k = 3, s = 2, pads[2] = {1, 0};
  dlc_tensor X = th_f32(x, 3, xd);
  float excl[3] = {1.5f, 3, 4.5f}, incl[3] = {1, 3, 4.5f};
  for (int i = 0; i < 2; i++) {
    th_node t;
    begin_pool(&t, DLC_OP_AVERAGE_POOL, &X, &k, 1, 1);
    set_ints(&t, "strides", &s, 1);
    set_ints(&t, "pads", pads, 2);
    dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
    dlc_node_set_int(t.g, t.node, "count_include_pad", i);
    expect_1d(&t, 3, i ? incl : excl);
  }
}

Test(average_pool, matches_pytorch_ceil_mode) {
  /* torch: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
   * count_include_pad=True/False) on x (1,2,6,7) -> (1,2,4,4). */
  float x[84];
  fill(x, 84, 0.37, 0.1);
  int64_t xd[4] = {1, 2, 6, 7}, k[2] = {3, 3}, s[2] = {2, 2},
          p[4] = {1, 1, 1, 1};
  dlc_tensor X = th_f32(x, 4, xd);
  for (int incl = 0; incl < 2; incl++) {
    th_node t;
    begin_pool(&t, DLC_OP_AVERAGE_POOL, &X, k, 2, 1);
    set_ints(&t, "strides", s, 2);
    set_ints(&t, "pads", p, 4);
    dlc_node_set_int(t.g, t.node, "ceil_mode", 1);
    dlc_node_set_int(t.g, t.node, "count_include_pad", incl);
    run_ok(&t);
    int64_t yd[4] = {1, 2, 4, 4};
    expect_shape(&t, 0, 4, yd);
    th_assert_close(t.out[0].data, incl ? avg_incl_want : avg_excl_want, 32,
                    1e-5, 1e-5);
    th_free(&t);
  }
}

Test(global_pool, average_and_max) {
  /* N 1, C 2, 2x2: channel 0 [1,2,3,6] -> mean 3, max 6;
   * channel 1 [-1,-5,-2,-4] -> mean -3, max -1. */
  float x[8] = {1, 2, 3, 6, -1, -5, -2, -4};
  int64_t xd[4] = {1, 2, 2, 2}, yd[4] = {1, 2, 1, 1};
  dlc_tensor X = th_f32(x, 4, xd);
  float mean[2] = {3, -3}, max[2] = {6, -1};
  for (int m = 0; m < 2; m++) {
    th_node t;
    th_begin(&t, m ? DLC_OP_GLOBAL_MAX_POOL : DLC_OP_GLOBAL_AVERAGE_POOL);
    th_input(&t, &X);
    th_finish(&t, 1);
    run_ok(&t);
    expect_shape(&t, 0, 4, yd);
    th_assert_close(t.out[0].data, m ? max : mean, 2, 1e-6, 0);
    th_free(&t);
  }
  /* rank 2 has no spatial axes */
  int64_t x2[2] = {2, 3};
  dlc_tensor X2 = th_f32(NULL, 2, x2);
  th_node t;
  th_begin(&t, DLC_OP_GLOBAL_AVERAGE_POOL);
  th_input(&t, &X2);
  th_finish(&t, 1);
  expect_error(&t, "input X [2, 3] must have rank >= 3", NULL);
  th_free(&t);
}

/* ------------------------------------------------------------------ Pad */

/* A Pad node: X as a run-time input, pads as a constant, an optional
 * constant_value constant, and a mode. */
static void begin_pad(th_node *t, const dlc_tensor *x, const int64_t *pads,
                      int n_pads, const dlc_tensor *cv, const char *mode) {
  static int64_t pd[1];
  pd[0] = n_pads;
  dlc_tensor P = th_i64(pads, 1, pd);
  th_begin(t, DLC_OP_PAD);
  th_input(t, x);
  th_const(t, &P);
  if (cv)
    th_const(t, cv);
  th_finish(t, 1);
  if (mode)
    dlc_node_set_string(t->g, t->node, "mode", mode);
}

static void pad_1d_expect(const float *x, int64_t n, int64_t pb, int64_t pe,
                          const char *mode, int n_want, const float *want) {
  int64_t xd[1] = {n}, pads[2] = {pb, pe};
  dlc_tensor X = th_f32(x, 1, xd);
  th_node t;
  begin_pad(&t, &X, pads, 2, NULL, mode);
  run_ok(&t);
  int64_t yd[1] = {n_want};
  expect_shape(&t, 0, 1, yd);
  th_assert_close(t.out[0].data, want, n_want, 0, 0);
  th_free(&t);
}

Test(pad, constant_2d_with_value) {
  /* [[1,2,3],[4,5,6]], pads [0,1,1,0] (begin rows 0, begin cols 1,
   * end rows 1, end cols 0), value 9 -> [[9,1,2,3],[9,4,5,6],[9,9,9,9]]. */
  float x[6] = {1, 2, 3, 4, 5, 6}, v[1] = {9};
  int64_t xd[2] = {2, 3}, pads[4] = {0, 1, 1, 0};
  dlc_tensor X = th_f32(x, 2, xd), V = th_f32(v, 0, NULL);
  th_node t;
  begin_pad(&t, &X, pads, 4, &V, NULL);
  run_ok(&t);
  int64_t yd[2] = {3, 4};
  expect_shape(&t, 0, 2, yd);
  float want[12] = {9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9};
  th_assert_close(t.out[0].data, want, 12, 0, 0);
  th_free(&t);
}

Test(pad, reflect_and_edge) {
  float x[3] = {1, 2, 3};
  /* reflect mirrors without repeating the end: [3,2 | 1,2,3 | 2,1] */
  float refl[7] = {3, 2, 1, 2, 3, 2, 1};
  pad_1d_expect(x, 3, 2, 2, "reflect", 7, refl);
  /* edge repeats the end values */
  float edge[7] = {1, 1, 1, 2, 3, 3, 3};
  pad_1d_expect(x, 3, 2, 2, "edge", 7, edge);
  /* reflect pads longer than the axis keep mirroring (numpy:
   * np.pad([1,2,3], (5,0), 'reflect') = [2,1,2,3,2,1,2,3]) */
  float long_refl[8] = {2, 1, 2, 3, 2, 1, 2, 3};
  pad_1d_expect(x, 3, 5, 0, "reflect", 8, long_refl);
  /* a single element reflects onto itself */
  float one[1] = {7}, one_want[3] = {7, 7, 7};
  pad_1d_expect(one, 1, 1, 1, "reflect", 3, one_want);
}

Test(pad, negative_pads_crop) {
  /* [1,2,3,4] with pads [-1, 2]: crop the first element, then pad the
   * remaining [2,3,4] at the end. */
  float x[4] = {1, 2, 3, 4};
  float cons[5] = {2, 3, 4, 0, 0}, refl[5] = {2, 3, 4, 3, 2},
        edge[5] = {2, 3, 4, 4, 4};
  pad_1d_expect(x, 4, -1, 2, "constant", 5, cons);
  pad_1d_expect(x, 4, -1, 2, "reflect", 5, refl);
  pad_1d_expect(x, 4, -1, 2, "edge", 5, edge);
  /* crop both ends */
  float mid[2] = {2, 3};
  pad_1d_expect(x, 4, -1, -1, "constant", 2, mid);
}

Test(pad, int64_data) {
  /* Pad works on shape tensors too: [5,6] pads [1,0] value -1 -> [-1,5,6] */
  int64_t x[2] = {5, 6}, v[1] = {-1}, xd[1] = {2}, pads[2] = {1, 0};
  dlc_tensor X = th_i64(x, 1, xd), V = th_i64(v, 0, NULL);
  th_node t;
  begin_pad(&t, &X, pads, 2, &V, NULL);
  run_ok(&t);
  cr_assert_eq(t.out[0].dtype, DLC_DT_INT64);
  const int64_t *y = t.out[0].data;
  int64_t want[3] = {-1, 5, 6};
  for (int i = 0; i < 3; i++)
    cr_assert_eq(y[i], want[i], "index %d: got %lld, want %lld", i,
                 (long long)y[i], (long long)want[i]);
  th_free(&t);
}

Test(pad, errors) {
  int64_t xd[2] = {2, 3}, pads[4] = {0, 1, 1, 0}, pd[1] = {4};
  dlc_tensor X = th_f32(NULL, 2, xd), P = th_i64(pads, 1, pd);
  th_node t;
  /* pads from a graph input */
  th_begin(&t, DLC_OP_PAD);
  th_input(&t, &X);
  th_input(&t, &P);
  th_finish(&t, 1);
  expect_error(&t, "input 1 (pads) must be a constant initializer", NULL);
  th_free(&t);
  /* wrong number of pads */
  begin_pad(&t, &X, pads, 2, NULL, NULL);
  expect_error(&t, "(pads) [2] must hold 4 values for input [2, 3]", NULL);
  th_free(&t);
  /* unsupported mode */
  begin_pad(&t, &X, pads, 4, NULL, "wrap");
  expect_error(&t, "mode 'wrap'", NULL);
  th_free(&t);
  /* cropping everything */
  int64_t crop[4] = {-1, 0, -1, 0};
  begin_pad(&t, &X, crop, 4, NULL, NULL);
  expect_error(&t, "gives output size 0", NULL);
  th_free(&t);
  /* reflecting an axis that was cropped away */
  int64_t gone[4] = {-2, 0, 1, 0};
  begin_pad(&t, &X, gone, 4, NULL, "reflect");
  expect_error(&t, "cropped away entirely", NULL);
  th_free(&t);
  /* constant_value of another type */
  int64_t v[1] = {0};
  dlc_tensor V = th_i64(v, 0, NULL);
  begin_pad(&t, &X, pads, 4, &V, NULL);
  expect_error(&t, "constant_value", "float32");
  th_free(&t);
}

/* --------------------------------------------------------------- Resize */

/* A Resize node: X run-time, roi omitted unless given, scales or sizes
 * constants (NULL: omitted). */
static void begin_resize(th_node *t, const dlc_tensor *x, const float *roi,
                         const float *scales, const int64_t *sizes,
                         int rank) {
  static int64_t rd[1], d[1];
  rd[0] = 2 * rank;
  d[0] = rank;
  th_begin(t, DLC_OP_RESIZE);
  th_input(t, x);
  dlc_tensor R = th_f32(roi, 1, rd), S = th_f32(scales, 1, d),
             Z = th_i64(sizes, 1, d);
  if (roi)
    th_const(t, &R);
  else
    th_omit(t);
  if (scales)
    th_const(t, &S);
  else
    th_omit(t);
  if (sizes)
    th_const(t, &Z);
  th_finish(t, 1);
}

static void set_str(th_node *t, const char *name, const char *v) {
  dlc_node_set_string(t->g, t->node, name, v);
}

/* 1-D Resize of x to n_want values with the given modes. */
static void resize_1d(const float *x, int64_t n, const float *scale,
                      const int64_t *size, const char *mode, const char *ctm,
                      const char *nearest, int n_want, const float *want) {
  int64_t xd[1] = {n};
  dlc_tensor X = th_f32(x, 1, xd);
  th_node t;
  begin_resize(&t, &X, NULL, scale, size, 1);
  set_str(&t, "mode", mode);
  set_str(&t, "coordinate_transformation_mode", ctm);
  if (nearest)
    set_str(&t, "nearest_mode", nearest);
  run_ok(&t);
  int64_t yd[1] = {n_want};
  expect_shape(&t, 0, 1, yd);
  th_assert_close(t.out[0].data, want, n_want, 1e-6, 0);
  th_free(&t);
}

Test(resize, nearest_upsample_2d) {
  /* scales [1,1,2,2], asymmetric + floor: each pixel becomes a 2x2 block. */
  float x[4] = {1, 2, 3, 4}, sc[4] = {1, 1, 2, 2};
  int64_t xd[4] = {1, 1, 2, 2};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_resize(&t, &X, NULL, sc, NULL, 4);
  set_str(&t, "coordinate_transformation_mode", "asymmetric");
  set_str(&t, "nearest_mode", "floor");
  run_ok(&t);
  int64_t yd[4] = {1, 1, 4, 4};
  expect_shape(&t, 0, 4, yd);
  float want[16] = {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
  th_assert_close(t.out[0].data, want, 16, 0, 0);
  th_free(&t);
}

Test(resize, nearest_rounding_modes) {
  /* [1,2,3,4] to sizes [3], half_pixel: x_orig = (x+0.5)*4/3 - 0.5 =
   * 1/6, 1.5, 17/6 -> indices: prefer_floor 0,1,3; prefer_ceil 0,2,3;
   * floor 0,1,2; ceil 1,2,3. */
  float x[4] = {1, 2, 3, 4};
  int64_t size[1] = {3};
  float pf[3] = {1, 2, 4}, pc[3] = {1, 3, 4}, fl[3] = {1, 2, 3},
        ce[3] = {2, 3, 4};
  resize_1d(x, 4, NULL, size, "nearest", "half_pixel", "round_prefer_floor",
            3, pf);
  resize_1d(x, 4, NULL, size, "nearest", "half_pixel", "round_prefer_ceil", 3,
            pc);
  resize_1d(x, 4, NULL, size, "nearest", "half_pixel", "floor", 3, fl);
  resize_1d(x, 4, NULL, size, "nearest", "half_pixel", "ceil", 3, ce);
  /* tf_half_pixel_for_nearest to sizes [2]: (x+0.5)*2 = 1, 3 -> [2,4] */
  int64_t two[1] = {2};
  float tf[2] = {2, 4};
  resize_1d(x, 4, NULL, two, "nearest", "tf_half_pixel_for_nearest", NULL, 2,
            tf);
}

Test(resize, linear_coordinate_modes_1d) {
  float x[2] = {1, 3}, s2[1] = {2};
  int64_t three[1] = {3};
  /* half_pixel, scale 2: x_orig = -0.25, 0.25, 0.75, 1.25, clamped to
   * [0,1]: values 1, 1.5, 2.5, 3 */
  float hp[4] = {1, 1.5f, 2.5f, 3};
  resize_1d(x, 2, s2, NULL, "linear", "half_pixel", NULL, 4, hp);
  /* asymmetric: x/2 = 0, 0.5, 1, 1.5 -> 1, 2, 3, 3 */
  float as[4] = {1, 2, 3, 3};
  resize_1d(x, 2, s2, NULL, "linear", "asymmetric", NULL, 4, as);
  /* align_corners to sizes [3]: x * 1/2 -> 1, 2, 3 */
  float ac[3] = {1, 2, 3};
  resize_1d(x, 2, NULL, three, "linear", "align_corners", NULL, 3, ac);
  /* pytorch_half_pixel to one output maps to 0 (half_pixel gives 1) */
  float x3[3] = {1, 3, 5}, first[1] = {1}, mid[1] = {3};
  int64_t one[1] = {1};
  resize_1d(x3, 3, NULL, one, "linear", "pytorch_half_pixel", NULL, 1, first);
  resize_1d(x3, 3, NULL, one, "linear", "half_pixel", NULL, 1, mid);
}

Test(resize, tf_crop_and_resize) {
  /* x = [1,2,3,4,5] (in 5), sizes [3]:
   * roi [0.25, 0.75]: x_orig = 0.25*4 + x*0.5*4/2 = 1 + x -> [2,3,4];
   * roi [0, 1.5]: x_orig = 3x = 0, 3, 6 > 4 -> extrapolation 7. */
  float x[5] = {1, 2, 3, 4, 5};
  int64_t xd[1] = {5}, size[1] = {3};
  dlc_tensor X = th_f32(x, 1, xd);
  float rois[2][2] = {{0.25f, 0.75f}, {0, 1.5f}};
  float wants[2][3] = {{2, 3, 4}, {1, 4, 7}};
  for (int i = 0; i < 2; i++) {
    th_node t;
    begin_resize(&t, &X, rois[i], NULL, size, 1);
    set_str(&t, "mode", "linear");
    set_str(&t, "coordinate_transformation_mode", "tf_crop_and_resize");
    dlc_node_set_float(t.g, t.node, "extrapolation_value", 7.0);
    run_ok(&t);
    th_assert_close(t.out[0].data, wants[i], 3, 1e-6, 0);
    th_free(&t);
  }
}

Test(resize, bilinear_2d_by_hand) {
  /* [[1,2],[3,4]] scales [1,1,2,2] half_pixel: the value is the plane
   * f(r,c) = 1 + 2r + c at clamped coordinates r, c in {0,.25,.75,1}. */
  float x[4] = {1, 2, 3, 4}, sc[4] = {1, 1, 2, 2};
  int64_t xd[4] = {1, 1, 2, 2};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_resize(&t, &X, NULL, sc, NULL, 4);
  set_str(&t, "mode", "linear");
  run_ok(&t);
  const float co[4] = {0, 0.25f, 0.75f, 1};
  float want[16];
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++)
      want[r * 4 + c] = 1 + 2 * co[r] + co[c];
  th_assert_close(t.out[0].data, want, 16, 1e-6, 0);
  th_free(&t);
}

/* Resize of the (1,2,3,5) PyTorch input to sizes (1,2,oh,ow). */
static void resize_vs_torch(const char *mode, const char *ctm,
                            const char *nearest, int64_t oh, int64_t ow,
                            const float *want) {
  float x[30];
  fill(x, 30, 0.37, 0.1);
  int64_t xd[4] = {1, 2, 3, 5}, size[4] = {1, 2, oh, ow};
  dlc_tensor X = th_f32(x, 4, xd);
  th_node t;
  begin_resize(&t, &X, NULL, NULL, size, 4);
  set_str(&t, "mode", mode);
  set_str(&t, "coordinate_transformation_mode", ctm);
  set_str(&t, "nearest_mode", nearest);
  run_ok(&t);
  expect_shape(&t, 0, 4, size);
  th_assert_close(t.out[0].data, want, 2 * oh * ow, 1e-5, 1e-5);
  th_free(&t);
}

Test(resize, matches_pytorch) {
  /* torch: F.interpolate(x, size=(5,8), mode="bilinear",
   * align_corners=False / True) and F.interpolate(x, size=(7,12),
   * mode="nearest"), which is ONNX's asymmetric + floor. */
  resize_vs_torch("linear", "half_pixel", "floor", 5, 8, bilinear_hp_want);
  resize_vs_torch("linear", "pytorch_half_pixel", "floor", 5, 8,
                  bilinear_hp_want);
  resize_vs_torch("linear", "align_corners", "floor", 5, 8, bilinear_ac_want);
  resize_vs_torch("nearest", "asymmetric", "floor", 7, 12, nearest_want);
}

Test(resize, errors) {
  int64_t xd[4] = {1, 1, 2, 2}, size[4] = {1, 1, 4, 4};
  float sc[4] = {1, 1, 2, 2}, bad[4] = {1, 1, 0, 2};
  dlc_tensor X = th_f32(NULL, 4, xd);
  th_node t;
  begin_resize(&t, &X, NULL, sc, NULL, 4);
  set_str(&t, "mode", "cubic");
  expect_error(&t, "mode 'cubic' is not supported", NULL);
  th_free(&t);
  begin_resize(&t, &X, NULL, sc, size, 4);
  expect_error(&t, "exactly one of input 2 (scales) and input 3 (sizes)",
               NULL);
  th_free(&t);
  begin_resize(&t, &X, NULL, NULL, NULL, 4);
  expect_error(&t, "exactly one of", NULL);
  th_free(&t);
  begin_resize(&t, &X, NULL, bad, NULL, 4);
  expect_error(&t, "input 2 (scales)[2] = 0", NULL);
  th_free(&t);
  begin_resize(&t, &X, NULL, sc, NULL, 4);
  set_str(&t, "coordinate_transformation_mode", "half_pixel_symmetric");
  expect_error(&t, "'half_pixel_symmetric' is not supported", NULL);
  th_free(&t);
  /* scales from a graph input */
  int64_t sd[1] = {4};
  dlc_tensor S = th_f32(sc, 1, sd);
  th_begin(&t, DLC_OP_RESIZE);
  th_input(&t, &X);
  th_omit(&t);
  th_input(&t, &S);
  th_finish(&t, 1);
  expect_error(&t, "input 2 (scales) must be a constant initializer", NULL);
  th_free(&t);
  /* sizes of the wrong length */
  int64_t size2[2] = {4, 4};
  begin_resize(&t, &X, NULL, NULL, size2, 2);
  expect_error(&t, "input 3 (sizes) [2] must hold one value per input axis",
               NULL);
  th_free(&t);
}

/* ------------------------------------------------------- hostile input */

Test(hostile, absurd_sizes_are_refused_not_overflowed) {
  th_node t;
  /* a spatial size beyond 2^30 */
  int64_t xd[4] = {1, 1, (int64_t)1 << 40, 4}, wd[4] = {1, 1, 1, 1};
  float w[1] = {1};
  dlc_tensor X = th_f32(NULL, 4, xd), W = th_f32(w, 4, wd);
  begin_conv(&t, DLC_OP_CONV, &X, &W, NULL);
  expect_error(&t, "spatial size 1099511627776 is out of range", NULL);
  th_free(&t);
  /* ConvTranspose output_shape of INT64_MAX */
  int64_t sd[4] = {1, 1, 4, 4};
  dlc_tensor S = th_f32(NULL, 4, sd);
  begin_conv(&t, DLC_OP_CONV_TRANSPOSE, &S, &W, NULL);
  int64_t os[2] = {INT64_MAX, 4};
  set_ints(&t, "output_shape", os, 2);
  expect_error(&t, "output_shape[0]", "out of range");
  th_free(&t);
  /* Pad by INT64_MAX */
  int64_t pads[8] = {0, 0, 0, INT64_MAX, 0, 0, 0, 0};
  begin_pad(&t, &S, pads, 8, NULL, NULL);
  expect_error(&t, "pads[3]", "out of range");
  th_free(&t);
  /* Resize by 1e30 */
  float sc[4] = {1, 1, 1e30f, 1};
  begin_resize(&t, &S, NULL, sc, NULL, 4);
  expect_error(&t, "input 2 (scales)[2]", "gives output size");
  th_free(&t);
  /* rank-8 pooling whose output element count overflows int64 is caught by
   * the per-axis limit: 2^30 on one axis */
  int64_t pd[8] = {1, 1, 2, 2, 2, 2, 2, (int64_t)1 << 31};
  dlc_tensor P = th_f32(NULL, 8, pd);
  int64_t k[6] = {1, 1, 1, 1, 1, 1};
  begin_pool(&t, DLC_OP_MAX_POOL, &P, k, 6, 1);
  expect_error(&t, "is out of range", NULL);
  th_free(&t);
}

/* ------------------------------------------------------ PyTorch values */

/* Generated once with /usr/bin/python3 and torch 1.13 (float32):
 *
 *   def fill(shape, a, b):   # the same data as fill() above
 *       n = math.prod(shape)
 *       return torch.sin(torch.arange(n, dtype=torch.float64) * a + b) \
 *                   .float().reshape(shape)
 *   x = fill((1,4,7,6), .37, .1); w = fill((6,2,3,3), .23, .5)
 *   b = fill((6,), 1.1, .3)
 *   conv_want = F.conv2d(x, w, b, stride=(2,1), padding=(1,2),
 *                        dilation=(2,1), groups=2)
 *   x = fill((1,2,2,3), .37, .1); w = fill((2,1,3,2), .23, .5)
 *   b = fill((2,), 1.1, .3)
 *   convt_want = F.conv_transpose2d(x, w, b, stride=(2,3), padding=(1,0),
 *                        output_padding=(1,2), groups=2, dilation=(2,1))
 *   x = fill((1,2,6,7), .37, .1)
 *   avg_incl_want = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True,
 *                                count_include_pad=True)   # and False
 *   max_want, idx = F.max_pool2d(x, 3, 2, 1, dilation=2, ceil_mode=True,
 *                                return_indices=True)
 *   max_idx_want = idx + 42 * channel
 *   x = fill((1,2,3,5), .37, .1)
 *   bilinear_hp_want = F.interpolate(x, size=(5,8), mode="bilinear",
 *                                    align_corners=False)  # _ac_: True
 *   nearest_want = F.interpolate(x, size=(7,12), mode="nearest")
 */
/* conv_want: shape [1, 6, 3, 8] */
const float conv_want[144] = {
    2.1022844, 3.8506546, 5.2623134, 4.9664564, 4.0384097, 2.6037812,
    1.4960177, 0.70561063, -0.23152611, -0.73699236, -1.1132573, 0.31585515,
    1.7422153, 2.9727721, 2.6537893, 1.7362322, -0.88479614, -1.6047121,
    -1.8327843, -0.82967877, 0.32571709, 1.4770261, 1.082539, 0.66259807,
    -0.34049708, -1.7234292, -2.9856968, -2.1060894, -0.80805713,
    0.73271775, 1.2558687, 1.3668067, -0.28607064, -1.2188094, -1.7019055,
    -1.6332805, -1.210223, -0.48999149, -0.095428407, 0.38980746, 1.7878473,
    2.1046562, 1.876766, -0.044020832, -1.8254728, -3.2264805, -2.2233455,
    -0.74275059, 0.22808442, -0.022178054, -0.066443503, -0.7234503,
    -1.2015409, -1.4360082, -0.89496589, -0.22473603, 2.5029359, 4.0188222,
    4.9184175, 3.4149647, 1.5303133, -0.48045886, -0.58889925, -0.19699037,
    0.90956444, 1.2862864, 1.7612286, 2.8388793, 3.6133015, 3.9796813,
    3.2874882, 2.1035252, 0.96707338, 2.4854848, 3.8503187, 4.2602882,
    4.0337553, 3.2013793, 1.7701707, 0.51597434, -1.5617313, -2.676038,
    -3.6227334, -2.2994692, -0.72487569, 0.88793319, 1.0034535, 0.56061321,
    -1.722774, -2.6096959, -3.0272944, -2.5349212, -1.7593513, -0.80555451,
    -0.7440511, -0.63562649, -2.4768717, -4.096858, -5.6624722, -5.3637352,
    -4.4743767, -3.1147676, -2.105082, -1.345911, -1.8358647, -2.4496608,
    -2.7373672, -3.1916633, -3.3493178, -3.1889925, -2.614872, -1.8890865,
    0.41976893, 1.3870685, 1.7564583, -0.0042772293, -1.8997688, -3.67347,
    -3.219049, -2.2736554, -0.27424186, -0.037748188, 0.29342169,
    -0.44016504, -1.1770594, -1.8175259, -1.480093, -1.0482941, 1.5601699,
    3.3393922, 4.5977554, 3.7666223, 2.3628139, 0.57632762, -0.16112849,
    -0.5045197, -0.72227788, -0.8832159, -0.86577106, 0.54923135, 1.8270161,
    2.7946415, 2.240871, 1.1083171
};
/* convt_want: shape [1, 2, 6, 10] */
const float convt_want[120] = {
    0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022,
    0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.8258611, 1.0121363,
    0.29552022, 1.145926, 1.3828071, 0.29552022, 1.3508925, 1.6063188,
    0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022,
    0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022,
    1.1606694, 1.2636375, 0.29552022, 1.5624238, 1.6753163, 0.29552022,
    1.7927089, 1.9002463, 0.29552022, 0.29552022, 0.29552022, 0.29552022,
    0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022, 0.29552022,
    0.29552022, 0.29552022, 1.2205186, 1.2282031, 0.29552022, 1.2841301,
    1.292343, 0.29552022, 1.2139379, 1.2215676, 0.29552022, 0.29552022,
    0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973,
    0.98544973, 0.98544973, 0.98544973, 0.98544973, 1.2405951, 1.1374959,
    0.98544973, 0.71614581, 0.69648337, 0.98544973, 0.2281456, 0.29458112,
    0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973,
    0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973,
    1.0263888, 0.91312551, 0.98544973, 0.69203991, 0.70304954, 0.98544973,
    0.3974027, 0.5311951, 0.98544973, 0.98544973, 0.98544973, 0.98544973,
    0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973, 0.98544973,
    0.98544973, 0.98544973, 0.89017051, 0.95377576, 0.98544973, 0.78048456,
    0.9173125, 0.98544973, 0.69853973, 0.89007133, 0.98544973, 0.98544973
};
/* avg_incl_want: shape [1, 2, 4, 4] */
const float avg_incl_want[32] = {
    0.11895789, 0.14648488, 0.045668866, -0.0338361, 0.1121428, 0.058244839,
    -0.1027514, -0.13185866, 0.14429487, 0.21922122, 0.13124202,
    0.010956053, 0.20311104, 0.44895843, 0.44107482, 0.19116287,
    -0.11746686, -0.15992032, -0.072982475, 0.014293764, -0.12812132,
    -0.093563944, 0.068052493, 0.11682007, -0.13344318, -0.22373414,
    -0.15971743, -0.036421213, -0.15727307, -0.41548407, -0.46542194,
    -0.23295756
};
/* avg_excl_want: shape [1, 2, 4, 4] */
const float avg_excl_want[32] = {
    0.26765525, 0.21972732, 0.068503298, -0.076131225, 0.1682142,
    0.058244839, -0.1027514, -0.197788, 0.2164423, 0.21922122, 0.13124202,
    0.016434079, 0.6093331, 0.89791685, 0.88214964, 0.57348859, -0.26430044,
    -0.23988049, -0.10947371, 0.032160968, -0.19218199, -0.093563944,
    0.068052493, 0.1752301, -0.20016475, -0.22373414, -0.15971743,
    -0.054631818, -0.47181922, -0.83096814, -0.93084389, -0.69887269
};
/* max_want: shape [1, 2, 3, 3] */
const float max_want[18] = {
    0.9264155, 0.9264155, 0.43025747, 0.99973935, 0.99973935, 0.99973935,
    0.99973935, 0.99973935, 0.99973935, 0.47101766, 0.94263715, 0.94263715,
    0.47101766, 0.94263715, 0.94263715, -0.57511216, 0.12691556, 0.12691556
};
/* max_idx_want: shape [1, 2, 3, 3] */
const int64_t max_idx_want[18] = {
    22, 22, 24, 38, 38, 38, 38, 38, 38, 52, 54, 54, 52, 54, 54, 66, 68, 68
};
/* bilinear_hp_want: shape [1, 2, 5, 8] */
const float bilinear_hp_want[80] = {
    0.099833414, 0.25429404, 0.47112107, 0.65346909, 0.80432212, 0.92368025,
    0.9718082, 0.99995762, 0.43148398, 0.48973289, 0.56816941, 0.60362011,
    0.61279076, 0.59568143, 0.53335196, 0.48620424, 0.92895961, 0.84289098,
    0.71374178, 0.52884662, 0.32549369, 0.10368314, -0.12433232,
    -0.28442574, 0.004469031, -0.094171211, -0.23321642, -0.35543689,
    -0.46003935, -0.54702383, -0.5917002, -0.61968297, -0.61185789,
    -0.71887922, -0.86452174, -0.94495904, -0.98372793, -0.98082834,
    -0.90327865, -0.84318775, -0.59171557, -0.44665891, -0.23723443,
    -0.0080036763, 0.21671787, 0.43693024, 0.6222018, 0.74917436,
    0.020170709, 0.11803225, 0.25577167, 0.37494609, 0.47574168, 0.55815852,
    0.59745431, 0.6216076, 0.9379999, 0.96506882, 0.99528068, 0.94937056,
    0.86427718, 0.74000078, 0.56033307, 0.43025738, 0.4200249, 0.33486652,
    0.21130525, 0.070585586, -0.070143603, -0.21088237, -0.33449483,
    -0.41969147, 0.07470829, -0.085268222, -0.31134489, -0.51527089,
    -0.69309068, -0.84480435, -0.93104655, -0.98632389
};
/* bilinear_ac_want: shape [1, 2, 5, 8] */
const float bilinear_ac_want[80] = {
    0.099833414, 0.3015779, 0.49456584, 0.66128403, 0.79920679, 0.9083342,
    0.96319103, 0.99995762, 0.51439655, 0.55906075, 0.59226775, 0.59110332,
    0.56710339, 0.52026796, 0.44393346, 0.35776597, 0.92895973, 0.81654358,
    0.68996966, 0.5209226, 0.33499992, 0.13220167, -0.075324126,
    -0.28442571, 0.15855092, 0.032451391, -0.092447013, -0.2137419,
    -0.32442614, -0.42449975, -0.49849895, -0.56380671, -0.61185789,
    -0.7516408, -0.87486368, -0.9484064, -0.98385221, -0.98120117,
    -0.92167377, -0.84318775, -0.59171557, -0.40225381, -0.20776188,
    0.0018205214, 0.20728023, 0.40861729, 0.58333278, 0.74917436,
    0.17314219, 0.28555071, 0.39080805, 0.47461173, 0.53844184, 0.58229828,
    0.59174246, 0.5897159, 0.93799996, 0.97335523, 0.98937798, 0.94740295,
    0.8696034, 0.7559793, 0.60015213, 0.43025747, 0.50635415, 0.4195573,
    0.32590699, 0.21169618, 0.091507345, -0.034659505, -0.15698642,
    -0.2780332, 0.07470829, -0.13424061, -0.33756396, -0.5240106,
    -0.6865887, -0.82529831, -0.91412497, -0.98632389
};
/* nearest_want: shape [1, 2, 7, 12] */
const float nearest_want[168] = {
    0.099833414, 0.099833414, 0.099833414, 0.45288628, 0.45288628,
    0.74464309, 0.74464309, 0.74464309, 0.93561602, 0.93561602, 0.99995762,
    0.99995762, 0.099833414, 0.099833414, 0.099833414, 0.45288628,
    0.45288628, 0.74464309, 0.74464309, 0.74464309, 0.93561602, 0.93561602,
    0.99995762, 0.99995762, 0.099833414, 0.099833414, 0.099833414,
    0.45288628, 0.45288628, 0.74464309, 0.74464309, 0.74464309, 0.93561602,
    0.93561602, 0.99995762, 0.99995762, 0.92895973, 0.92895973, 0.92895973,
    0.73223144, 0.73223144, 0.43639907, 0.43639907, 0.43639907, 0.081502154,
    0.081502154, -0.28442571, -0.28442571, 0.92895973, 0.92895973,
    0.92895973, 0.73223144, 0.73223144, 0.43639907, 0.43639907, 0.43639907,
    0.081502154, 0.081502154, -0.28442571, -0.28442571, -0.61185789,
    -0.61185789, -0.61185789, -0.85647798, -0.85647798, -0.98517776,
    -0.98517776, -0.98517776, -0.98053837, -0.98053837, -0.84318775,
    -0.84318775, -0.61185789, -0.61185789, -0.61185789, -0.85647798,
    -0.85647798, -0.98517776, -0.98517776, -0.98517776, -0.98053837,
    -0.98053837, -0.84318775, -0.84318775, -0.59171557, -0.59171557,
    -0.59171557, -0.2601575, -0.2601575, 0.10661169, 0.10661169, 0.10661169,
    0.45895147, 0.45895147, 0.74917436, 0.74917436, -0.59171557,
    -0.59171557, -0.59171557, -0.2601575, -0.2601575, 0.10661169,
    0.10661169, 0.10661169, 0.45895147, 0.45895147, 0.74917436, 0.74917436,
    -0.59171557, -0.59171557, -0.59171557, -0.2601575, -0.2601575,
    0.10661169, 0.10661169, 0.10661169, 0.45895147, 0.45895147, 0.74917436,
    0.74917436, 0.93799996, 0.93799996, 0.93799996, 0.99987173, 0.99987173,
    0.9264155, 0.9264155, 0.9264155, 0.72757328, 0.72757328, 0.43025747,
    0.43025747, 0.93799996, 0.93799996, 0.93799996, 0.99987173, 0.99987173,
    0.9264155, 0.9264155, 0.9264155, 0.72757328, 0.72757328, 0.43025747,
    0.43025747, 0.07470829, 0.07470829, 0.07470829, -0.2909523, -0.2909523,
    -0.61723387, -0.61723387, -0.61723387, -0.8599757, -0.8599757,
    -0.98632389, -0.98632389, 0.07470829, 0.07470829, 0.07470829,
    -0.2909523, -0.2909523, -0.61723387, -0.61723387, -0.61723387,
    -0.8599757, -0.8599757, -0.98632389, -0.98632389
};
