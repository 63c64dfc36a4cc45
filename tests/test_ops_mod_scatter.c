/* test_ops_mod_scatter.c — Mod (ir/ops_binary.c) and ScatterND
 * (ir/ops_shape.c), the ops torchvision's Swin exports build their window
 * mask with: shape inference and reference kernels against values worked out
 * by hand (stated next to each case; integer results and the float cases chosen are
 * exact, so comparisons use zero tolerance), the C-undefined integer corners
 * Mod must avoid, and the errors inference must report. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "helpers.h"
#include "ir/ops_impl.h"

/* ------------------------------------------------------------ helpers */

static dlc_tensor t_i32(const int32_t *data, int rank, const int64_t *dims) {
  dlc_tensor t = {0};
  dlc_tensor_set_shape(&t, DLC_DT_INT32, rank, dims);
  t.data = (void *)data;
  return t;
}

static const char *first_message(const th_node *t) {
  return t->diag.messages.n ? t->diag.messages.items[0] : "(no message)";
}

/* The call failed, and the message names node n0 and contains both needles
 * (needle2 may be NULL). */
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

static void check_i64(const dlc_tensor *got, const int64_t *want, int64_t n) {
  const int64_t *g = got->data;
  cr_assert_eq(got->dtype, DLC_DT_INT64, "dtype %s",
               dlc_dtype_name(got->dtype));
  cr_assert_eq(dlc_tensor_numel(got), n, "element count: got %lld, want %lld",
               (long long)dlc_tensor_numel(got), (long long)n);
  for (int64_t i = 0; i < n; i++)
    cr_assert_eq(g[i], want[i], "element %lld: got %lld, want %lld",
                 (long long)i, (long long)g[i], (long long)want[i]);
}

static void check_f32(const dlc_tensor *got, const float *want, int64_t n) {
  cr_assert_eq(got->dtype, DLC_DT_FLOAT32, "dtype %s",
               dlc_dtype_name(got->dtype));
  cr_assert_eq(dlc_tensor_numel(got), n, "element count: got %lld, want %lld",
               (long long)dlc_tensor_numel(got), (long long)n);
  th_assert_close(got->data, want, n, 0.0, 0.0);
}

/* ---------------------------------------------------------------- Mod */

/* Runs Mod(a, b) with the given fmod (-1: attribute absent) on two graph
 * inputs; the caller checks t->out[0] and calls th_free. */
static void run_mod(th_node *t, const dlc_tensor *a, const dlc_tensor *b,
                    int fmod) {
  th_begin(t, DLC_OP_MOD);
  th_input(t, a);
  th_input(t, b);
  th_finish(t, 1);
  if (fmod >= 0)
    dlc_node_set_int(t->g, t->node, "fmod", fmod);
  cr_assert(th_run(t), "Mod fmod=%d: %s", fmod, first_message(t));
}

/* The four sign combinations, a zero dividend and an exact multiple. */
static const int64_t mod_a[6] = {7, -7, 7, -7, 0, 5};
static const int64_t mod_b[6] = {3, 3, -3, -3, 3, 5};

Test(mod, int64_default_takes_the_sign_of_the_divisor) {
  th_node t;
  int64_t d = 6;
  dlc_tensor a = th_i64(mod_a, 1, &d), b = th_i64(mod_b, 1, &d);
  /* Python: 7%3=1, -7%3=2, 7%-3=-2, -7%-3=-1, 0%3=0, 5%5=0 */
  const int64_t want[6] = {1, 2, -2, -1, 0, 0};
  run_mod(&t, &a, &b, -1);
  check_i64(&t.out[0], want, 6);
  th_free(&t);
}

Test(mod, int64_fmod_takes_the_sign_of_the_dividend) {
  th_node t;
  int64_t d = 6;
  dlc_tensor a = th_i64(mod_a, 1, &d), b = th_i64(mod_b, 1, &d);
  /* C / math.fmod: 7%3=1, -7%3=-1, 7%-3=1, -7%-3=-1 */
  const int64_t want[6] = {1, -1, 1, -1, 0, 0};
  run_mod(&t, &a, &b, 1);
  check_i64(&t.out[0], want, 6);
  th_free(&t);
}

Test(mod, int64_corners_that_c_leaves_undefined) {
  th_node t;
  int64_t d = 5;
  /* x % 0 -> 0 (numpy's answer; ONNX leaves it undefined); INT64_MIN % -1
   * -> 0 (C: undefined); INT64_MIN mod 3 = 1 (2^63 = 3 * 3074457345618258602
   * + 2, so -2^63 = -2 = 1 mod 3); INT64_MAX mod INT64_MIN = -1 (Python:
   * 2^63 - 1 - 2^63); 5 mod -1 = 0. */
  const int64_t a_v[5] = {9, INT64_MIN, INT64_MIN, INT64_MAX, 5};
  const int64_t b_v[5] = {0, -1, 3, INT64_MIN, -1};
  const int64_t want[5] = {0, 0, 1, -1, 0};
  dlc_tensor a = th_i64(a_v, 1, &d), b = th_i64(b_v, 1, &d);
  run_mod(&t, &a, &b, 0);
  check_i64(&t.out[0], want, 5);
  th_free(&t);
}

Test(mod, broadcasts_like_the_other_binary_ops) {
  th_node t;
  int64_t ad[2] = {2, 3}, bd = 3;
  const int64_t a_v[6] = {0, 1, 2, 3, 4, 5}, b_v[3] = {2, 3, 4};
  /* rows [0 1 2] and [3 4 5] mod [2 3 4] */
  const int64_t want[6] = {0, 1, 2, 1, 1, 1};
  dlc_tensor a = th_i64(a_v, 2, ad), b = th_i64(b_v, 1, &bd);
  run_mod(&t, &a, &b, 0);
  cr_assert_eq(t.out[0].rank, 2);
  cr_assert(t.out[0].dims[0] == 2 && t.out[0].dims[1] == 3);
  check_i64(&t.out[0], want, 6);
  th_free(&t);
}

Test(mod, int32_keeps_its_dtype) {
  th_node t;
  int64_t d = 2;
  const int32_t a_v[2] = {-7, 7}, b_v[2] = {3, -3};
  dlc_tensor a = t_i32(a_v, 1, &d), b = t_i32(b_v, 1, &d);
  run_mod(&t, &a, &b, 0);
  const int32_t *y = t.out[0].data;
  cr_assert_eq(t.out[0].dtype, DLC_DT_INT32);
  cr_assert(y[0] == 2 && y[1] == -2, "got %d %d, want 2 -2", y[0], y[1]);
  th_free(&t);
}

Test(mod, float32_fmod) {
  th_node t;
  int64_t d = 5;
  /* fmod(5.5, 2) = 1.5, fmod(-5.5, 2) = -1.5, fmod(5.5, -2) = 1.5,
   * fmod(1, 0.25) = 0, fmod(0.75, 1) = 0.75 */
  const float a_v[5] = {5.5f, -5.5f, 5.5f, 1.0f, 0.75f};
  const float b_v[5] = {2.0f, 2.0f, -2.0f, 0.25f, 1.0f};
  const float want[5] = {1.5f, -1.5f, 1.5f, 0.0f, 0.75f};
  dlc_tensor a = th_f32(a_v, 1, &d), b = th_f32(b_v, 1, &d);
  run_mod(&t, &a, &b, 1);
  check_f32(&t.out[0], want, 5);
  th_free(&t);
}

/* Builds Mod on typed inputs without data and runs inference only. */
static bool infer_mod(th_node *t, const dlc_tensor *a, const dlc_tensor *b,
                      int fmod) {
  th_begin(t, DLC_OP_MOD);
  th_input(t, a);
  th_input(t, b);
  th_finish(t, 1);
  dlc_node_set_int(t->g, t->node, "fmod", fmod);
  return th_infer(t);
}

Test(mod, errors_name_the_node_and_the_problem) {
  th_node t;
  int64_t d2[2] = {2, 3}, d4 = 4, d3 = 3;
  dlc_tensor f = th_f32(NULL, 1, &d3), i = th_i64(NULL, 1, &d3);
  dlc_tensor a = th_i64(NULL, 2, d2), b = th_i64(NULL, 1, &d4);

  check_error(&t, infer_mod(&t, &f, &f, 0), "float32 inputs need fmod=1",
              NULL);
  th_free(&t);
  check_error(&t, infer_mod(&t, &i, &f, 0), "different dtypes", "float32");
  th_free(&t);
  check_error(&t, infer_mod(&t, &a, &b, 0), "[2, 3]", "[4]");
  th_free(&t);
  check_error(&t, infer_mod(&t, &i, &i, 2), "fmod must be 0 or 1", NULL);
  th_free(&t);
}

/* ----------------------------------------------------------- ScatterND */

/* Starts ScatterND(data, indices, updates): data and updates are graph
 * inputs; indices a constant (const_idx) or a graph input. */
static void scatter_node(th_node *t, const dlc_tensor *data,
                         const dlc_tensor *idx, const dlc_tensor *upd,
                         bool const_idx, const char *reduction) {
  th_begin(t, DLC_OP_SCATTER_ND);
  th_input(t, data);
  if (const_idx)
    th_const(t, idx);
  else
    th_input(t, idx);
  th_input(t, upd);
  th_finish(t, 1);
  if (reduction)
    dlc_node_set_string(t->g, t->node, "reduction", reduction);
}

Test(scatter_nd, onnx_example_1_single_elements) {
  th_node t;
  int64_t dd = 8, id[2] = {4, 1}, ud = 4;
  const float data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, upd[4] = {9, 10, 11, 12};
  const int64_t idx[4] = {4, 3, 1, 7};
  const float want[8] = {1, 11, 3, 10, 9, 6, 7, 12}; /* the ONNX spec's */
  dlc_tensor x = th_f32(data, 1, &dd), i = th_i64(idx, 2, id),
             u = th_f32(upd, 1, &ud);
  for (int c = 0; c < 2; c++) { /* constant and run-time indices */
    scatter_node(&t, &x, &i, &u, c == 0, NULL);
    cr_assert(th_run(&t), "%s", first_message(&t));
    check_f32(&t.out[0], want, 8);
    th_free(&t);
  }
}

Test(scatter_nd, partial_index_replaces_whole_rows) {
  th_node t;
  /* data (2, 2, 3) = 0..11; index tuples (1, 0) and (0, 1) name the rows at
   * offsets 6 and 3; updates (2, 3). */
  int64_t dd[3] = {2, 2, 3}, id[2] = {2, 2}, ud[2] = {2, 3};
  const float data[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const int64_t idx[4] = {1, 0, 0, 1};
  const float upd[6] = {10, 11, 12, 20, 21, 22};
  const float want[12] = {0, 1, 2, 20, 21, 22, 10, 11, 12, 9, 10, 11};
  dlc_tensor x = th_f32(data, 3, dd), i = th_i64(idx, 2, id),
             u = th_f32(upd, 2, ud);
  scatter_node(&t, &x, &i, &u, true, "none");
  cr_assert(th_run(&t), "%s", first_message(&t));
  cr_assert_eq(t.out[0].rank, 3);
  check_f32(&t.out[0], want, 12);
  th_free(&t);
}

Test(scatter_nd, full_index_with_batch_dims_and_negative_indices) {
  th_node t;
  /* Swin's mask form: data (3, 3) zeros, indices (2, 2, 2) of full (row,
   * col) tuples, updates (2, 2). -1 is row 2. */
  int64_t dd[2] = {3, 3}, id[3] = {2, 2, 2}, ud[2] = {2, 2};
  const float data[9] = {0};
  const int64_t idx[8] = {0, 0, 0, 1, 2, 2, -1, 0};
  const float upd[4] = {1, 2, 3, 4};
  const float want[9] = {1, 2, 0, 0, 0, 0, 4, 0, 3};
  dlc_tensor x = th_f32(data, 2, dd), i = th_i64(idx, 3, id),
             u = th_f32(upd, 2, ud);
  scatter_node(&t, &x, &i, &u, true, NULL);
  cr_assert(th_run(&t), "%s", first_message(&t));
  check_f32(&t.out[0], want, 9);
  th_free(&t);
}

Test(scatter_nd, int64_reductions_accumulate_repeated_indices) {
  th_node t;
  int64_t dd = 3, id[2] = {3, 1}, ud = 3;
  const int64_t data[3] = {1, 2, 3}, idx[3] = {0, 0, 2}, upd[3] = {10, 20, 30};
  const int64_t want_add[3] = {31, 2, 33};  /* 1+10+20, 2, 3+30 */
  const int64_t want_mul[3] = {200, 2, 90}; /* 1*10*20, 2, 3*30 */
  const int64_t want_none[3] = {20, 2, 30}; /* the last update wins */
  dlc_tensor x = th_i64(data, 1, &dd), i = th_i64(idx, 2, id),
             u = th_i64(upd, 1, &ud);
  const char *red[3] = {"add", "mul", "none"};
  const int64_t *want[3] = {want_add, want_mul, want_none};
  for (int k = 0; k < 3; k++) {
    scatter_node(&t, &x, &i, &u, false, red[k]);
    cr_assert(th_run(&t), "%s: %s", red[k], first_message(&t));
    check_i64(&t.out[0], want[k], 3);
    th_free(&t);
  }
}

Test(scatter_nd, out_of_range_index_constant_and_at_run_time) {
  th_node t;
  int64_t dd = 4, id[2] = {2, 1}, ud = 2;
  const float data[4] = {0}, upd[2] = {1, 2};
  const int64_t idx[2] = {1, 4};
  dlc_tensor x = th_f32(data, 1, &dd), i = th_i64(idx, 2, id),
             u = th_f32(upd, 1, &ud);
  scatter_node(&t, &x, &i, &u, true, NULL); /* refused by inference */
  check_error(&t, th_infer(&t), "index 4 (tuple 1", "size 4");
  th_free(&t);
  scatter_node(&t, &x, &i, &u, false, NULL); /* refused by the kernel */
  check_error(&t, th_run(&t), "index 4 (tuple 1", "size 4");
  th_free(&t);
}

Test(scatter_nd, shape_and_type_errors) {
  th_node t;
  int64_t dd[2] = {3, 4}, id[2] = {2, 1}, ud_bad[2] = {2, 3}, ud[2] = {2, 4};
  int64_t id3[2] = {2, 3};
  dlc_tensor x = th_f32(NULL, 2, dd), i = th_i64(NULL, 2, id),
             u_bad = th_f32(NULL, 2, ud_bad), u = th_f32(NULL, 2, ud),
             u_int = th_i64(NULL, 2, ud), i3 = th_i64(NULL, 2, id3),
             i32 = t_i32(NULL, 2, id);

  scatter_node(&t, &x, &i, &u_bad, false, NULL);
  check_error(&t, th_infer(&t), "updates [2, 3] do not match", "[3, 4]");
  th_free(&t);
  scatter_node(&t, &x, &i3, &u, false, NULL);
  check_error(&t, th_infer(&t), "indices [2, 3]", "last dim (3)");
  th_free(&t);
  scatter_node(&t, &x, &i32, &u, false, NULL);
  check_error(&t, th_infer(&t), "indices have dtype int32", NULL);
  th_free(&t);
  scatter_node(&t, &x, &i, &u_int, false, NULL);
  check_error(&t, th_infer(&t), "updates have dtype int64", NULL);
  th_free(&t);
  scatter_node(&t, &x, &i, &u, false, "max");
  check_error(&t, th_infer(&t), "reduction 'max' is not supported", NULL);
  th_free(&t);
}
