/* test_ops_shape.c — the data-movement and shape operators of
 * ir/ops_shape.c: shape inference and reference kernels against values
 * worked out by hand (each stated next to its test; data movement is exact,
 * so comparisons use zero tolerance), and the errors shape inference must
 * report for hostile shapes, constants and attributes. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "helpers.h"
#include "ir/ops_impl.h"

/* ------------------------------------------------------------ helpers */

static dlc_tensor t_i32(const int32_t *data, int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_INT32, rank, dims);
  t.data = (void *)data;
  return t;
}

/* A 1-D int64 constant input: the usual shape/axes/starts argument. */
static void const_ints(th_node *t, const int64_t *v, int64_t n) {
  dlc_tensor c = th_i64(v, 1, &n);
  th_const(t, &c);
}

static void check_shape(const dlc_tensor *got, dlc_dtype dt, int rank,
                        const int64_t *dims) {
  dlc_tensor want = {0};
  char a[256], b[256];
  dlc_tensor_set_shape(&want, dt, rank, dims);
  cr_assert_eq(got->dtype, dt, "dtype: got %s, want %s",
               dlc_dtype_name(got->dtype), dlc_dtype_name(dt));
  cr_assert(dlc_tensor_same_shape(got, &want), "shape: got %s, want %s",
            dlc_shape_str(got, a, sizeof a), dlc_shape_str(&want, b, sizeof b));
}

static void check_i64(const dlc_tensor *got, const int64_t *want, int64_t n) {
  const int64_t *g = got->data;
  cr_assert_eq(dlc_tensor_numel(got), n, "element count: got %lld, want %lld",
               (long long)dlc_tensor_numel(got), (long long)n);
  for (int64_t i = 0; i < n; i++)
    cr_assert_eq(g[i], want[i], "element %lld: got %lld, want %lld",
                 (long long)i, (long long)g[i], (long long)want[i]);
}

static void check_f32(const dlc_tensor *got, const float *want, int64_t n) {
  cr_assert_eq(dlc_tensor_numel(got), n, "element count: got %lld, want %lld",
               (long long)dlc_tensor_numel(got), (long long)n);
  th_assert_close(got->data, want, n, 0.0, 0.0);
}

static const char *first_message(const th_node *t) {
  return t->diag.messages.n ? t->diag.messages.items[0] : "(no message)";
}

/* The call failed, and the message names node n0 and contains each needle. */
static void check_error(const th_node *t, bool ok, const char *needle1,
                        const char *needle2) {
  cr_assert(!ok, "expected an error containing '%s'", needle1);
  cr_assert(dlc_diag_contains(&t->diag, "node 'n0'"),
            "message does not name the node: %s", first_message(t));
  cr_assert(dlc_diag_contains(&t->diag, needle1), "want '%s' in: %s", needle1,
            first_message(t));
  if (needle2)
    cr_assert(dlc_diag_contains(&t->diag, needle2), "want '%s' in: %s",
              needle2, first_message(t));
}

static float iota_f[24] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                           12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
static int64_t iota_i[24] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                             12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};

/* ------------------------------------------------------------ Flatten */

static void flatten_case(int64_t axis, bool set, int64_t d0, int64_t d1) {
  th_node t;
  int64_t xd[3] = {2, 3, 4}, want[2] = {d0, d1};
  dlc_tensor x = th_f32(iota_f, 3, xd);
  th_begin(&t, DLC_OP_FLATTEN);
  th_input(&t, &x);
  th_finish(&t, 1);
  if (set)
    dlc_node_set_int(t.g, t.node, "axis", axis);
  cr_assert(th_run(&t), "axis %lld: %s", (long long)axis, first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want);
  check_f32(&t.out[0], iota_f, 24); /* row-major order is unchanged */
  th_free(&t);
}

Test(flatten, axes_including_negative_and_default) {
  flatten_case(1, false, 2, 12); /* default axis 1 */
  flatten_case(0, true, 1, 24);
  flatten_case(3, true, 24, 1);  /* axis == rank is allowed */
  flatten_case(-1, true, 6, 4);  /* -1 -> 2: (2*3, 4) */
  flatten_case(-3, true, 1, 24);
}

Test(flatten, axis_out_of_range) {
  th_node t;
  int64_t xd[3] = {2, 3, 4};
  dlc_tensor x = th_f32(NULL, 3, xd);
  th_begin(&t, DLC_OP_FLATTEN);
  th_input(&t, &x);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", 4);
  check_error(&t, th_infer(&t), "axis 4", "[2, 3, 4]");
  th_free(&t);
}

Test(flatten, product_overflow_is_an_error) {
  th_node t;
  int64_t xd[3] = {INT64_C(1) << 62, 4, 1};
  dlc_tensor x = th_f32(NULL, 3, xd);
  th_begin(&t, DLC_OP_FLATTEN);
  th_input(&t, &x);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", 2);
  check_error(&t, th_infer(&t), "overflows", NULL);
  th_free(&t);
}

/* ------------------------------------------------------------ Reshape */

/* x (2, 3, 4) of 0..23 reshaped by the constant `shape`. */
static bool reshape_run(th_node *t, const int64_t *shape, int n, int allowzero) {
  static int64_t xd[3] = {2, 3, 4};
  static dlc_tensor x;
  x = th_f32(iota_f, 3, xd);
  th_begin(t, DLC_OP_RESHAPE);
  th_input(t, &x);
  const_ints(t, shape, n);
  th_finish(t, 1);
  if (allowzero >= 0)
    dlc_node_set_int(t->g, t->node, "allowzero", allowzero);
  return th_run(t);
}

Test(reshape, minus_one_is_inferred) {
  th_node t;
  int64_t shape[2] = {4, -1}, want[2] = {4, 6}; /* 24 / 4 = 6 */
  cr_assert(reshape_run(&t, shape, 2, -1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want);
  check_f32(&t.out[0], iota_f, 24);
  th_free(&t);
}

Test(reshape, zero_copies_the_input_dim) {
  th_node t;
  /* 0 -> input dim 0 (2); -1 -> 24 / (2 * 2) = 6 */
  int64_t shape[3] = {0, -1, 2}, want[3] = {2, 6, 2};
  cr_assert(reshape_run(&t, shape, 3, -1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 3, want);
  th_free(&t);
}

Test(reshape, allowzero_keeps_a_literal_zero) {
  th_node t;
  int64_t xd[2] = {3, 0}, shape[2] = {0, 3}, want[2] = {0, 3};
  dlc_tensor x = th_f32(NULL, 2, xd);
  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  const_ints(&t, shape, 2);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "allowzero", 1);
  cr_assert(th_infer(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want);
  th_free(&t);

  /* Without allowzero the 0 copies dim 0 (3): [3, 3] holds 9, not 0. */
  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  const_ints(&t, shape, 2);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "cannot reshape [3, 0] (0 elements) to [0, 3]",
              NULL);
  th_free(&t);
}

Test(reshape, int64_data_passes_through) {
  th_node t;
  int64_t xd[2] = {2, 2}, data[4] = {7, 8, -9, 10}, shape[1] = {4};
  dlc_tensor x = th_i64(data, 2, xd);
  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  const_ints(&t, shape, 1);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, shape);
  check_i64(&t.out[0], data, 4);
  th_free(&t);
}

Test(reshape, errors_name_both_shapes) {
  th_node t;
  int64_t s1[2] = {5, -1}, s2[2] = {5, 5}, s3[2] = {-1, -1}, s4[2] = {-2, 12};
  int64_t s5[2] = {INT64_MAX, 4}, s6[9] = {1, 1, 1, 1, 1, 1, 1, 1, 24};
  int64_t s7[4] = {2, 3, 4, 0};
  check_error(&t, reshape_run(&t, s1, 2, -1),
              "cannot reshape [2, 3, 4] (24 elements) to [5, -1]", NULL);
  th_free(&t);
  check_error(&t, reshape_run(&t, s2, 2, -1),
              "cannot reshape [2, 3, 4] (24 elements) to [5, 5]", NULL);
  th_free(&t);
  check_error(&t, reshape_run(&t, s3, 2, -1), "[-1, -1]",
              "more than one -1");
  th_free(&t);
  check_error(&t, reshape_run(&t, s4, 2, -1), "negative dim -2", NULL);
  th_free(&t);
  check_error(&t, reshape_run(&t, s5, 2, -1), "cannot reshape", NULL);
  th_free(&t);
  check_error(&t, reshape_run(&t, s6, 9, -1), "9 dims", NULL);
  th_free(&t);
  /* 0 at position 3 copies a dim the rank-3 input does not have */
  check_error(&t, reshape_run(&t, s7, 4, -1), "copies dim 3", "[2, 3, 4]");
  th_free(&t);
  /* allowzero with 0 and -1 leaves -1 undetermined */
  int64_t s8[2] = {0, -1};
  check_error(&t, reshape_run(&t, s8, 2, 1), "cannot reshape", NULL);
  th_free(&t);
}

Test(reshape, shape_must_be_constant_int64) {
  th_node t;
  int64_t xd[1] = {4}, sd[1] = {1}, sv[1] = {4};
  int32_t sv32[1] = {4};
  dlc_tensor x = th_f32(iota_f, 1, xd), s = th_i64(sv, 1, sd),
             s32 = t_i32(sv32, 1, sd);
  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  th_input(&t, &s); /* a graph input: not known at compile time */
  th_finish(&t, 1);
  check_error(&t, th_infer(&t),
              "input 1 (shape) must be a constant initializer", NULL);
  th_free(&t);

  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  th_const(&t, &s32);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "input 1 (shape) must be int64", "int32");
  th_free(&t);
}

/* ---------------------------------------------------------- Transpose */

Test(transpose, default_reverses_axes) {
  th_node t;
  int64_t xd[2] = {2, 3}, want_d[2] = {3, 2};
  /* x = [[0 1 2] [3 4 5]]; x^T = [[0 3] [1 4] [2 5]] */
  float want[6] = {0, 3, 1, 4, 2, 5};
  dlc_tensor x = th_f32(iota_f, 2, xd);
  th_begin(&t, DLC_OP_TRANSPOSE);
  th_input(&t, &x);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 6);
  th_free(&t);
}

Test(transpose, rank3_perm_on_int64) {
  th_node t;
  int64_t xd[3] = {2, 3, 4}, perm[3] = {1, 2, 0}, want_d[3] = {3, 4, 2};
  /* y[a][b][c] = x[c][a][b] = 12c + 4a + b, walked a, b, c */
  int64_t want[24] = {0, 12, 1, 13, 2,  14, 3,  15, 4,  16, 5,  17,
                      6, 18, 7, 19, 8, 20, 9, 21, 10, 22, 11, 23};
  dlc_tensor x = th_i64(iota_i, 3, xd);
  th_begin(&t, DLC_OP_TRANSPOSE);
  th_input(&t, &x);
  th_finish(&t, 1);
  dlc_node_set_ints(t.g, t.node, "perm", perm, 3);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 3, want_d);
  check_i64(&t.out[0], want, 24);
  th_free(&t);
}

static void transpose_bad_perm(const int64_t *perm, int n, const char *text) {
  th_node t;
  int64_t xd[3] = {2, 3, 4};
  dlc_tensor x = th_f32(NULL, 3, xd);
  th_begin(&t, DLC_OP_TRANSPOSE);
  th_input(&t, &x);
  th_finish(&t, 1);
  dlc_node_set_ints(t.g, t.node, "perm", perm, n);
  check_error(&t, th_infer(&t), text,
              "is not a permutation of the 3 axes of input [2, 3, 4]");
  th_free(&t);
}

Test(transpose, perm_must_be_a_permutation) {
  int64_t dup[3] = {0, 0, 1}, shortp[2] = {1, 0}, big[3] = {0, 1, 3},
          neg[3] = {-1, 0, 1};
  transpose_bad_perm(dup, 3, "perm [0, 0, 1]");
  transpose_bad_perm(shortp, 2, "perm [1, 0]");
  transpose_bad_perm(big, 3, "perm [0, 1, 3]");
  transpose_bad_perm(neg, 3, "perm [-1, 0, 1]");
}

/* ------------------------------------------------------------- Concat */

Test(concat, axis1_float) {
  th_node t;
  int64_t ad[2] = {2, 1}, bd[2] = {2, 2}, want_d[2] = {2, 3};
  float a[2] = {1, 2}, b[4] = {3, 4, 5, 6};
  /* rows: [1 | 3 4], [2 | 5 6] */
  float want[6] = {1, 3, 4, 2, 5, 6};
  dlc_tensor ta = th_f32(a, 2, ad), tb = th_f32(b, 2, bd);
  th_begin(&t, DLC_OP_CONCAT);
  th_input(&t, &ta);
  th_const(&t, &tb);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", -1); /* -1 -> 1 */
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 6);
  th_free(&t);
}

Test(concat, three_int64_shape_pieces) {
  th_node t;
  int64_t d1 = 1, d2 = 2, want_d = 4;
  int64_t a[1] = {1}, b[2] = {-1, 7}, c[1] = {3}, want[4] = {1, -1, 7, 3};
  dlc_tensor ta = th_i64(a, 1, &d1), tb = th_i64(b, 1, &d2),
             tc = th_i64(c, 1, &d1);
  th_begin(&t, DLC_OP_CONCAT);
  th_input(&t, &ta);
  th_const(&t, &tb);
  th_input(&t, &tc);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", 0);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &want_d);
  check_i64(&t.out[0], want, 4);
  th_free(&t);
}

static void concat_bad(const dlc_tensor *a, const dlc_tensor *b, int64_t axis,
                       const char *n1, const char *n2) {
  th_node t;
  th_begin(&t, DLC_OP_CONCAT);
  th_input(&t, a);
  th_input(&t, b);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", axis);
  check_error(&t, th_infer(&t), n1, n2);
  th_free(&t);
}

Test(concat, mismatches_are_errors) {
  int64_t d23[2] = {2, 3}, d33[2] = {3, 3}, d3[1] = {3}, dbig[1] = {INT64_MAX},
          d1[1] = {1};
  dlc_tensor a = th_f32(NULL, 2, d23), b = th_f32(NULL, 2, d33),
             c = th_f32(NULL, 1, d3), i = th_i64(NULL, 2, d23),
             big = th_f32(NULL, 1, dbig), one = th_f32(NULL, 1, d1);
  concat_bad(&a, &b, 1, "input 1 has shape [3, 3] but input 0 has [2, 3]",
             "axis 1");
  concat_bad(&a, &c, 0, "input 1 has shape [3] but input 0 has [2, 3]", NULL);
  concat_bad(&a, &i, 0, "input 1 is int64 but input 0 is float32", NULL);
  concat_bad(&a, &a, 2, "axis 2 is out of range", "[2, 3]");
  concat_bad(&big, &one, 0, "overflows", NULL);
}

Test(concat, axis_is_required) {
  th_node t;
  int64_t d = 2;
  dlc_tensor a = th_f32(NULL, 1, &d);
  th_begin(&t, DLC_OP_CONCAT);
  th_input(&t, &a);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "'axis' is required", NULL);
  th_free(&t);
}

/* -------------------------------------------------------------- Split */

Test(split, given_sizes) {
  th_node t;
  int64_t xd[2] = {2, 5}, sizes[2] = {2, 3}, d0[2] = {2, 2}, d1[2] = {2, 3};
  /* x rows 0..4 and 5..9, cut after 2 columns */
  float w0[4] = {0, 1, 5, 6}, w1[6] = {2, 3, 4, 7, 8, 9};
  dlc_tensor x = th_f32(iota_f, 2, xd);
  th_begin(&t, DLC_OP_SPLIT);
  th_input(&t, &x);
  const_ints(&t, sizes, 2);
  th_finish(&t, 2);
  dlc_node_set_int(t.g, t.node, "axis", 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, d0);
  check_shape(&t.out[1], DLC_DT_FLOAT32, 2, d1);
  check_f32(&t.out[0], w0, 4);
  check_f32(&t.out[1], w1, 6);
  th_free(&t);
}

Test(split, equal_parts_int64_and_negative_axis) {
  th_node t;
  int64_t xd[2] = {6, 1}, od[2] = {2, 1};
  dlc_tensor x = th_i64(iota_i, 2, xd);
  th_begin(&t, DLC_OP_SPLIT);
  th_input(&t, &x);
  th_finish(&t, 3);
  dlc_node_set_int(t.g, t.node, "axis", -2); /* -2 -> 0: 6 rows into 3 */
  cr_assert(th_run(&t), "%s", first_message(&t));
  for (int i = 0; i < 3; i++) {
    check_shape(&t.out[i], DLC_DT_INT64, 2, od);
    check_i64(&t.out[i], iota_i + 2 * i, 2); /* {0,1}, {2,3}, {4,5} */
  }
  th_free(&t);

  /* An omitted 'split' input is the same as an absent one. */
  th_begin(&t, DLC_OP_SPLIT);
  th_input(&t, &x);
  th_omit(&t);
  th_finish(&t, 2);
  cr_assert(th_run(&t), "%s", first_message(&t));
  int64_t hd[2] = {3, 1};
  check_shape(&t.out[1], DLC_DT_INT64, 2, hd);
  check_i64(&t.out[1], iota_i + 3, 3);
  th_free(&t);
}

static void split_bad(const int64_t *sizes, int n, int outs, const char *n1,
                      const char *n2) {
  th_node t;
  int64_t xd[2] = {2, 5};
  dlc_tensor x = th_f32(NULL, 2, xd);
  th_begin(&t, DLC_OP_SPLIT);
  th_input(&t, &x);
  if (sizes)
    const_ints(&t, sizes, n);
  th_finish(&t, outs);
  dlc_node_set_int(t.g, t.node, "axis", 1);
  check_error(&t, th_infer(&t), n1, n2);
  th_free(&t);
}

Test(split, errors) {
  int64_t short_sum[2] = {2, 2}, three[3] = {1, 1, 3}, neg[2] = {-1, 6},
          huge[2] = {5, INT64_MAX};
  /* 5 into 2 is 3 + 2 (opset 18's rule); into 4 parts of 2 leaves none */
  split_bad(NULL, 0, 4, "cannot split dim 1 (size 5) of input [2, 5] into 4 "
            "parts", NULL);
  split_bad(short_sum, 2, 2, "do not sum to dim 1 (size 5) of input [2, 5]",
            NULL);
  split_bad(three, 3, 2, "has 3 values but the node has 2 outputs", NULL);
  split_bad(neg, 2, 2, "negative size -1", NULL);
  split_bad(huge, 2, 2, "do not sum", NULL);
}

/* -------------------------------------------------------------- Slice */

/* x (3, 4) of 0..11 (float) sliced by constant starts/ends/axes/steps;
 * axes or steps NULL are omitted (axes: n_axes < 0 means leave it out). */
static bool slice_run(th_node *t, const int64_t *starts, const int64_t *ends,
                      const int64_t *axes, const int64_t *steps, int n) {
  static int64_t xd[2] = {3, 4};
  static dlc_tensor x;
  x = th_f32(iota_f, 2, xd);
  th_begin(t, DLC_OP_SLICE);
  th_input(t, &x);
  const_ints(t, starts, n);
  const_ints(t, ends, n);
  if (axes)
    const_ints(t, axes, n);
  else if (steps)
    th_omit(t);
  if (steps)
    const_ints(t, steps, n);
  th_finish(t, 1);
  return th_run(t);
}

Test(slice, int64_max_end_on_axis0) {
  th_node t;
  int64_t s[1] = {1}, e[1] = {INT64_MAX}, ax[1] = {0}, want_d[2] = {2, 4};
  cr_assert(slice_run(&t, s, e, ax, NULL, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], iota_f + 4, 8); /* rows 1..2 = 4..11 */
  th_free(&t);
}

Test(slice, negative_indices) {
  th_node t;
  /* columns -3..-1 of width 4 are 1..2 */
  int64_t s[1] = {-3}, e[1] = {-1}, ax[1] = {-1}, want_d[2] = {3, 2};
  float want[6] = {1, 2, 5, 6, 9, 10};
  cr_assert(slice_run(&t, s, e, ax, NULL, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 6);
  th_free(&t);
}

Test(slice, reverse_with_int64_min_end) {
  th_node t;
  /* x[:, ::-1] as PyTorch exports flip: start -1, end INT64_MIN, step -1 */
  int64_t s[1] = {-1}, e[1] = {INT64_MIN}, ax[1] = {1}, st[1] = {-1};
  int64_t want_d[2] = {3, 4};
  float want[12] = {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8};
  cr_assert(slice_run(&t, s, e, ax, st, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 12);
  th_free(&t);
}

Test(slice, steps_with_clamping_and_no_axes) {
  th_node t;
  /* rows 0:100:2 -> 0, 2; cols 1:4:2 -> 1, 3 */
  int64_t s[2] = {0, 1}, e[2] = {100, 4}, st[2] = {2, 2}, want_d[2] = {2, 2};
  float want[4] = {1, 3, 9, 11};
  cr_assert(slice_run(&t, s, e, NULL, st, 2), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 4);
  th_free(&t);
}

Test(slice, empty_result) {
  th_node t;
  int64_t s[1] = {3}, e[1] = {1}, ax[1] = {1}, want_d[2] = {3, 0};
  cr_assert(slice_run(&t, s, e, ax, NULL, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  th_free(&t);
}

/* v = {10, 11, 12, 13, 14} sliced with one start/end/step. */
static void slice_1d(int64_t s, int64_t e, int64_t k, const int64_t *want,
                     int64_t n) {
  th_node t;
  int64_t d = 5, v[5] = {10, 11, 12, 13, 14};
  dlc_tensor x = th_i64(v, 1, &d);
  th_begin(&t, DLC_OP_SLICE);
  th_input(&t, &x);
  const_ints(&t, &s, 1);
  const_ints(&t, &e, 1);
  th_omit(&t);
  const_ints(&t, &k, 1);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &n);
  check_i64(&t.out[0], want, n);
  th_free(&t);
}

Test(slice, negative_steps_on_int64) {
  int64_t w1[2] = {14, 12}, w2[2] = {14, 11}, w3[1] = {14}, w4[1] = {12};
  slice_1d(4, 0, -2, w1, 2);    /* 4, 2 (end 0 excluded) */
  slice_1d(10, -10, -3, w2, 2); /* start clamps to 4, end to -1: 4, 1 */
  /* steps beyond any dim take only the start element; INT64_MIN has no
   * int64 negation, so this also guards the step arithmetic */
  slice_1d(-1, INT64_MIN, INT64_MIN, w3, 1); /* start -1 -> 4 */
  slice_1d(-3, INT64_MAX, INT64_MAX, w4, 1); /* start -3 -> 2 */
}

Test(slice, int32_constants_on_int64_shape_data) {
  th_node t;
  int64_t d4 = 4, d1 = 1, want_d = 2;
  int64_t shape[4] = {1, 3, 224, 224}, want[2] = {224, 224};
  int32_t s[1] = {2}, e[1] = {4};
  dlc_tensor x = th_i64(shape, 1, &d4), ts = t_i32(s, 1, &d1),
             te = t_i32(e, 1, &d1);
  th_begin(&t, DLC_OP_SLICE);
  th_const(&t, &x);
  th_const(&t, &ts);
  th_const(&t, &te);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &want_d);
  check_i64(&t.out[0], want, 2);
  th_free(&t);
}

Test(slice, errors) {
  th_node t;
  int64_t z[2] = {0, 0}, one[2] = {1, 1}, st0[1] = {0}, ax1[1] = {1},
          ax00[2] = {0, 0}, ax2[1] = {2};
  check_error(&t, slice_run(&t, z, one, ax1, st0, 1), "step 0 on axis 1",
              NULL);
  th_free(&t);
  check_error(&t, slice_run(&t, z, one, ax00, NULL, 2), "axis 0 is sliced "
              "twice", NULL);
  th_free(&t);
  check_error(&t, slice_run(&t, z, one, ax2, NULL, 1), "axis 2 is out of "
              "range for input [3, 4]", NULL);
  th_free(&t);

  /* starts and ends of different lengths */
  int64_t xd[2] = {3, 4}, n1 = 1, n2 = 2;
  dlc_tensor x = th_f32(NULL, 2, xd), s = th_i64(z, 1, &n1),
             e = th_i64(one, 1, &n2);
  th_begin(&t, DLC_OP_SLICE);
  th_input(&t, &x);
  th_const(&t, &s);
  th_const(&t, &e);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "input 2 (ends) has 2 values but input 1 "
              "(starts) has 1", NULL);
  th_free(&t);

  /* starts not a constant */
  th_begin(&t, DLC_OP_SLICE);
  th_input(&t, &x);
  th_input(&t, &s);
  th_const(&t, &s);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "input 1 (starts) must be a constant "
              "initializer", NULL);
  th_free(&t);
}

/* ------------------------------------------------------- DepthToSpace */

static void d2s_run(const char *mode, int64_t c, int64_t w, const float *x,
                    const int64_t *want_d, const float *want, int64_t n) {
  th_node t;
  int64_t xd[4] = {1, c, 1, w};
  dlc_tensor tx = th_f32(x, 4, xd);
  th_begin(&t, DLC_OP_DEPTH_TO_SPACE);
  th_input(&t, &tx);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "blocksize", 2);
  if (mode)
    dlc_node_set_string(t.g, t.node, "mode", mode);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 4, want_d);
  check_f32(&t.out[0], want, n);
  th_free(&t);
}

Test(depth_to_space, dcr_and_crd) {
  /* x (1, 8, 1, 1) = 0..7, b = 2, C' = 2: y (1, 2, 2, 2)
   * DCR: y[c'][i][j] = x[(2i + j) * 2 + c'] -> {0 2 4 6}, {1 3 5 7}
   * CRD: y[c'][i][j] = x[4c' + 2i + j]     -> 0..7 (torch pixel_shuffle) */
  int64_t yd[4] = {1, 2, 2, 2};
  float dcr[8] = {0, 2, 4, 6, 1, 3, 5, 7};
  d2s_run(NULL, 8, 1, iota_f, yd, dcr, 8); /* default mode DCR */
  d2s_run("DCR", 8, 1, iota_f, yd, dcr, 8);
  d2s_run("CRD", 8, 1, iota_f, yd, iota_f, 8);
}

Test(depth_to_space, dcr_interleaves_width) {
  /* x (1, 4, 1, 2): channel c holds {10c, 10c + 1}. y (1, 1, 2, 4):
   * y[i][2w + j] = x[2i + j][w] -> row 0 {0 10 1 11}, row 1 {20 30 21 31} */
  float x[8] = {0, 1, 10, 11, 20, 21, 30, 31};
  float want[8] = {0, 10, 1, 11, 20, 30, 21, 31};
  int64_t yd[4] = {1, 1, 2, 4};
  d2s_run("DCR", 4, 2, x, yd, want, 8);
}

static void d2s_bad(int rank, int64_t ch, int64_t b, const char *mode,
                    const char *n1, const char *n2) {
  th_node t;
  int64_t xd[4] = {1, ch, 2, 2};
  dlc_tensor x = th_f32(NULL, rank, xd);
  th_begin(&t, DLC_OP_DEPTH_TO_SPACE);
  th_input(&t, &x);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "blocksize", b);
  if (mode)
    dlc_node_set_string(t.g, t.node, "mode", mode);
  check_error(&t, th_infer(&t), n1, n2);
  th_free(&t);
}

Test(depth_to_space, errors) {
  d2s_bad(4, 6, 2, NULL, "not divisible by blocksize^2", "[1, 6, 2, 2]");
  d2s_bad(3, 4, 2, NULL, "must have rank 4", "[1, 4, 2]");
  d2s_bad(4, 4, 2, "XYZ", "mode 'XYZ' is not DCR or CRD", NULL);
  d2s_bad(4, 4, 0, NULL, "blocksize 0", NULL);
  d2s_bad(4, 4, INT64_C(1) << 32, NULL, "not divisible", NULL);
}

/* ----------------------------------------------------------- Constant */

static void constant_begin(th_node *t) {
  th_begin(t, DLC_OP_CONSTANT);
  th_finish(t, 1);
}

Test(constant, scalar_and_list_forms) {
  th_node t;
  int64_t two = 2;
  constant_begin(&t);
  dlc_node_set_float(t.g, t.node, "value_float", 2.5);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 0, NULL);
  check_f32(&t.out[0], (float[]){2.5f}, 1);
  th_free(&t);

  constant_begin(&t);
  dlc_node_set_int(t.g, t.node, "value_int", -7);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 0, NULL);
  check_i64(&t.out[0], (int64_t[]){-7}, 1);
  th_free(&t);

  constant_begin(&t);
  dlc_node_set_floats(t.g, t.node, "value_floats", (double[]){1.5, -2}, 2);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 1, &two);
  check_f32(&t.out[0], (float[]){1.5f, -2.0f}, 2);
  th_free(&t);

  constant_begin(&t);
  dlc_node_set_ints(t.g, t.node, "value_ints", (int64_t[]){3, -1}, 2);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &two);
  check_i64(&t.out[0], (int64_t[]){3, -1}, 2);
  th_free(&t);
}

Test(constant, tensor_value) {
  th_node t;
  int64_t d[2] = {2, 2};
  float v[4] = {1, -2, 3.5f, 4};
  constant_begin(&t);
  dlc_attr *a = dlc_node_add_attr(t.g, t.node, "value", DLC_ATTR_TENSOR);
  dlc_tensor_set_shape(&a->tensor, DLC_DT_FLOAT32, 2, d);
  a->tensor.data = dlc_arena_alloc(t.g->arena, sizeof v);
  memcpy(a->tensor.data, v, sizeof v);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, d);
  check_f32(&t.out[0], v, 4);
  th_free(&t);
}

Test(constant, exactly_one_numeric_value) {
  th_node t;
  constant_begin(&t);
  check_error(&t, th_infer(&t), "exactly one of value", "not 0");
  th_free(&t);

  constant_begin(&t);
  dlc_node_set_int(t.g, t.node, "value_int", 1);
  dlc_node_set_float(t.g, t.node, "value_float", 1);
  check_error(&t, th_infer(&t), "exactly one of value", "not 2");
  th_free(&t);

  constant_begin(&t);
  dlc_node_set_string(t.g, t.node, "value_string", "hello");
  check_error(&t, th_infer(&t), "string constants", "not supported");
  th_free(&t);
}

/* -------------------------------------------------------------- Shape */

/* Shape of a (2, 3, 4) graph input (no data needed) with start/end. */
static void shape_case(bool has_s, int64_t s, bool has_e, int64_t e,
                       const int64_t *want, int64_t n) {
  th_node t;
  int64_t xd[3] = {2, 3, 4};
  dlc_tensor x = th_f32(NULL, 3, xd);
  th_begin(&t, DLC_OP_SHAPE);
  th_input(&t, &x);
  th_finish(&t, 1);
  if (has_s)
    dlc_node_set_int(t.g, t.node, "start", s);
  if (has_e)
    dlc_node_set_int(t.g, t.node, "end", e);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &n);
  check_i64(&t.out[0], want, n);
  th_free(&t);
}

Test(shape, whole_and_ranges) {
  int64_t all[3] = {2, 3, 4};
  shape_case(false, 0, false, 0, all, 3);
  shape_case(true, 1, false, 0, all + 1, 2);   /* {3, 4} */
  shape_case(true, -1, false, 0, all + 2, 1);  /* {4} */
  shape_case(false, 0, true, -1, all, 2);      /* {2, 3} */
  shape_case(true, -10, true, 10, all, 3);     /* clamped to the whole */
  shape_case(true, 2, true, 1, all, 0);        /* empty */
}

Test(shape, of_a_scalar_is_empty) {
  th_node t;
  int64_t zero = 0;
  dlc_tensor x = th_f32(iota_f, 0, NULL);
  th_begin(&t, DLC_OP_SHAPE);
  th_input(&t, &x);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 1, &zero);
  th_free(&t);
}

/* ------------------------------------------------------------- Gather */

Test(gather, axis0_negative_index) {
  th_node t;
  int64_t xd[2] = {3, 2}, id = 2, want_d[2] = {2, 2};
  float x[6] = {1, 2, 3, 4, 5, 6};
  int64_t idx[2] = {2, -3}; /* -3 wraps to row 0 */
  float want[4] = {5, 6, 1, 2};
  dlc_tensor tx = th_f32(x, 2, xd), ti = th_i64(idx, 1, &id);
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &tx);
  th_const(&t, &ti);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want_d);
  check_f32(&t.out[0], want, 4);
  th_free(&t);
}

Test(gather, axis1_int32_matrix_indices) {
  th_node t;
  int64_t xd[2] = {2, 3}, id[2] = {2, 2}, want_d[3] = {2, 2, 2};
  int32_t idx[4] = {2, 0, -1, 1};
  /* y[o][j][k] = x[o][idx[j][k]]: row 0 {2 0 2 1}, row 1 {5 3 5 4} */
  float want[8] = {2, 0, 2, 1, 5, 3, 5, 4};
  dlc_tensor tx = th_f32(iota_f, 2, xd), ti = t_i32(idx, 2, id);
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &tx);
  th_input(&t, &ti);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", -1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 3, want_d);
  check_f32(&t.out[0], want, 8);
  th_free(&t);
}

Test(gather, scalar_index_into_int64_shape) {
  th_node t;
  int64_t d = 4, shape[4] = {1, 3, 224, 224}, idx = 1, want = 3;
  dlc_tensor tx = th_i64(shape, 1, &d), ti = th_i64(&idx, 0, NULL);
  th_begin(&t, DLC_OP_GATHER);
  th_const(&t, &tx);
  th_const(&t, &ti);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 0, NULL);
  check_i64(&t.out[0], &want, 1);
  th_free(&t);
}

Test(gather, out_of_range_index) {
  th_node t;
  int64_t xd[2] = {3, 2}, id = 2, bad[2] = {0, 3}, neg[2] = {-4, 0};
  dlc_tensor tx = th_f32(iota_f, 2, xd), tb = th_i64(bad, 1, &id),
             tn = th_i64(neg, 1, &id);
  /* constant indices: caught by shape inference */
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &tx);
  th_const(&t, &tb);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "index 3 (at position 1) is out of range "
              "for axis 0 of data [3, 2] (size 3)", NULL);
  th_free(&t);

  /* run-time indices: inference passes, the kernel refuses */
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &tx);
  th_input(&t, &tn);
  th_finish(&t, 1);
  cr_assert(th_infer(&t), "%s", first_message(&t));
  check_error(&t, th_run(&t), "index -4 (at position 0) is out of range",
              NULL);
  th_free(&t);

  /* float indices */
  dlc_tensor tf = th_f32(iota_f, 1, &id);
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &tx);
  th_input(&t, &tf);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "indices must be int64 or int32", "float32");
  th_free(&t);
}

/* ------------------------------------------------- Unsqueeze, Squeeze */

static bool unsqueeze_run(th_node *t, const dlc_tensor *x, const int64_t *axes,
                          int n) {
  th_begin(t, DLC_OP_UNSQUEEZE);
  th_input(t, x);
  const_ints(t, axes, n);
  th_finish(t, 1);
  return th_run(t);
}

Test(unsqueeze, axes_positions_in_the_output) {
  th_node t;
  int64_t d3 = 3, v[3] = {5, 6, 7}, d23[2] = {2, 3};
  int64_t a0[1] = {0}, w0[2] = {1, 3};
  int64_t am1[1] = {-1}, w1[3] = {2, 3, 1};         /* -1 of rank 3 -> 2 */
  int64_t a03[2] = {3, 0}, w2[4] = {1, 2, 3, 1};    /* output rank 4 */
  dlc_tensor x = th_i64(v, 1, &d3), y = th_f32(iota_f, 2, d23);
  cr_assert(unsqueeze_run(&t, &x, a0, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_INT64, 2, w0);
  check_i64(&t.out[0], v, 3);
  th_free(&t);
  cr_assert(unsqueeze_run(&t, &y, am1, 1), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 3, w1);
  check_f32(&t.out[0], iota_f, 6);
  th_free(&t);
  cr_assert(unsqueeze_run(&t, &y, a03, 2), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 4, w2);
  th_free(&t);
}

Test(unsqueeze, errors) {
  th_node t;
  int64_t d3 = 3, d8[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  int64_t dup[2] = {0, -3}, far[1] = {2}, a0[1] = {0};
  dlc_tensor x = th_f32(iota_f, 1, &d3), x8 = th_f32(iota_f, 8, d8);
  /* output rank 3: -3 is axis 0 again */
  check_error(&t, unsqueeze_run(&t, &x, dup, 2), "axes [0, -3] name axis 0 "
              "twice", NULL);
  th_free(&t);
  check_error(&t, unsqueeze_run(&t, &x, far, 1), "axis 2 is out of range "
              "for rank 2", NULL);
  th_free(&t);
  check_error(&t, unsqueeze_run(&t, &x8, a0, 1), "exceeds rank 8", NULL);
  th_free(&t);

  int64_t one = 1;
  dlc_tensor axes = th_i64(a0, 1, &one);
  th_begin(&t, DLC_OP_UNSQUEEZE);
  th_input(&t, &x);
  th_input(&t, &axes);
  th_finish(&t, 1);
  check_error(&t, th_infer(&t), "input 1 (axes) must be a constant", NULL);
  th_free(&t);
}

/* Squeezes x (1, 3, 1, 2) of 0..5; axes NULL: no axes input; omit: "". */
static bool squeeze_run(th_node *t, const int64_t *axes, int n, bool omit) {
  static int64_t xd[4] = {1, 3, 1, 2};
  static dlc_tensor x;
  x = th_f32(iota_f, 4, xd);
  th_begin(t, DLC_OP_SQUEEZE);
  th_input(t, &x);
  if (axes)
    const_ints(t, axes, n);
  else if (omit)
    th_omit(t);
  th_finish(t, 1);
  return th_run(t);
}

Test(squeeze, absent_axes_drop_every_unit_dim) {
  th_node t;
  int64_t want[2] = {3, 2};
  cr_assert(squeeze_run(&t, NULL, 0, false), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want);
  check_f32(&t.out[0], iota_f, 6);
  th_free(&t);
  cr_assert(squeeze_run(&t, NULL, 0, true), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, want);
  th_free(&t);
}

Test(squeeze, named_axes) {
  th_node t;
  int64_t am2[1] = {-2}, w1[3] = {1, 3, 2}, a02[2] = {2, 0}, w2[2] = {3, 2};
  cr_assert(squeeze_run(&t, am2, 1, false), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 3, w1);
  check_f32(&t.out[0], iota_f, 6);
  th_free(&t);
  cr_assert(squeeze_run(&t, a02, 2, false), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 2, w2);
  th_free(&t);
}

Test(squeeze, errors) {
  th_node t;
  int64_t a1[1] = {1}, dup[2] = {0, -4}, far[1] = {4};
  check_error(&t, squeeze_run(&t, a1, 1, false), "cannot squeeze axis 1 of "
              "input [1, 3, 1, 2]: its size is 3, not 1", NULL);
  th_free(&t);
  check_error(&t, squeeze_run(&t, dup, 2, false), "name axis 0 twice", NULL);
  th_free(&t);
  check_error(&t, squeeze_run(&t, far, 1, false), "axis 4 is out of range",
              NULL);
  th_free(&t);
}

Test(squeeze, all_unit_dims_give_a_scalar) {
  th_node t;
  int64_t xd[2] = {1, 1};
  float v[1] = {42};
  dlc_tensor x = th_f32(v, 2, xd);
  th_begin(&t, DLC_OP_SQUEEZE);
  th_input(&t, &x);
  th_finish(&t, 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_shape(&t.out[0], DLC_DT_FLOAT32, 0, NULL);
  check_f32(&t.out[0], v, 1);
  th_free(&t);
}

/* ----------------------------------------------------------- identity */

Test(identity, refuses_an_output_of_another_size) {
  th_node t;
  int64_t d4 = 4, d3 = 3;
  dlc_tensor x = th_f32(iota_f, 1, &d4);
  th_begin(&t, DLC_OP_RESHAPE);
  th_input(&t, &x);
  const_ints(&t, &d4, 1);
  th_finish(&t, 1);
  float buf[3] = {0};
  dlc_tensor y = th_f32(buf, 1, &d3);
  const dlc_tensor *in[1] = {&x};
  dlc_op_ctx c = {.node = t.node, .n_inputs = 1, .in = in, .n_outputs = 1,
                  .out = &y, .diag = &t.diag};
  check_error(&t, dlc_ref_identity(&c), "output float32 [3] does not hold "
              "the input float32 [4]", NULL);
  cr_assert_eq(c.errors, 1);
  th_free(&t);
}

/* ------------------------------------------------- hostile edge cases */

/* Empty tensors whose leading dims are huge: the kernels must not walk the
 * 2^40 outer rows of nothing (found by fuzzing: Split looped for hours). */
Test(edge, empty_tensors_with_huge_outer_dims) {
  th_node t;
  int64_t xd[2] = {INT64_C(1) << 40, 0}, idx[1] = {0};
  dlc_tensor x = th_f32(NULL, 2, xd);
  dlc_op ops[3] = {DLC_OP_SPLIT, DLC_OP_CONCAT, DLC_OP_TRANSPOSE};
  for (int k = 0; k < 3; k++) {
    th_begin(&t, ops[k]);
    th_input(&t, &x);
    if (ops[k] == DLC_OP_CONCAT)
      th_input(&t, &x);
    th_finish(&t, ops[k] == DLC_OP_SPLIT ? 2 : 1);
    if (ops[k] != DLC_OP_TRANSPOSE)
      dlc_node_set_int(t.g, t.node, "axis", 1);
    cr_assert(th_run(&t), "%s: %s", dlc_op_name(ops[k]), first_message(&t));
    cr_assert_eq(dlc_tensor_numel(&t.out[0]), 0, "%s: output not empty",
                 dlc_op_name(ops[k]));
    th_free(&t);
  }
  /* Gather of 0 columns from each of 2^40 rows. */
  int64_t gd[2] = {INT64_C(1) << 40, 1};
  dlc_tensor g = th_f32(NULL, 2, gd), te = th_i64(idx, 1, (int64_t[]){0});
  th_begin(&t, DLC_OP_GATHER);
  th_input(&t, &g);
  th_const(&t, &te);
  th_finish(&t, 1);
  dlc_node_set_int(t.g, t.node, "axis", 1);
  cr_assert(th_run(&t), "%s", first_message(&t));
  cr_assert_eq(dlc_tensor_numel(&t.out[0]), 0, "Gather: output not empty");
  th_free(&t);
}

/* A required input given as "" is reported, not dereferenced. */
Test(edge, omitted_required_input) {
  th_node t;
  int64_t d = 4;
  dlc_tensor x = th_f32(iota_f, 1, &d);
  dlc_op ops[4] = {DLC_OP_RESHAPE, DLC_OP_GATHER, DLC_OP_UNSQUEEZE,
                   DLC_OP_SLICE};
  for (int k = 0; k < 4; k++) {
    th_begin(&t, ops[k]);
    th_input(&t, &x);
    th_omit(&t);
    if (ops[k] == DLC_OP_SLICE)
      const_ints(&t, &d, 1);
    th_finish(&t, 1);
    check_error(&t, th_infer(&t), "input 1 is required but omitted", NULL);
    th_free(&t);
  }
}
