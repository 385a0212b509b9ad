/* ir_infer_nn.c: shape/dtype inference of the NN family (MatMul, Gemm, Einsum,
 * Conv, ConvTranspose, the pools). The window geometry (auto_pad, pads,
 * ceil_mode, ConvTranspose output_shape) and the einsum equation parser are
 * exported (ir_nn_window, ir_einsum_parse) because the reference executor
 * needs exactly the same pads and label mapping as inference: one piece of
 * code decides them, so shapes and kernels can never disagree. */
#include "ir.h"
#include "k_nn.h"
#include <stdio.h>
#include <string.h>


/* Bound on window attributes: keeps every product below int64 overflow. */
#define NN_ATTR_MAX ((int64_t)1 << 31)

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

/* Reads an INTS attribute of exactly `count` entries into v; absent -> def. */
static kn_status attr_ints(kn_ctx *kn, const ir_node *n, const char *name, int count, int64_t def, int64_t *v,
                           bool *given) {
  const ir_attr *a = ir_attr_get(n, name);
  if (given) *given = a != NULL;
  if (!a) {
    for (int i = 0; i < count; i++) v[i] = def;
    return KN_OK;
  }
  if (a->kind != IR_ATTR_INTS || a->n != count)
    return kn_fail(kn, KN_EINVAL, "node %s (%s): attribute %s must be %d ints, got %d", n->name,
                   ir_op_table[n->op].name, name, count, a->kind == IR_ATTR_INTS ? a->n : -1);
  for (int i = 0; i < count; i++) v[i] = a->ints[i];
  return KN_OK;
}

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

static kn_status auto_pad_mode(kn_ctx *kn, const ir_node *n, int *mode) {
  const char *s = ir_attr_s(n, "auto_pad");
  if (!strcmp(s, "NOTSET") || !*s) *mode = PAD_NOTSET;
  else if (!strcmp(s, "SAME_UPPER")) *mode = PAD_SAME_UPPER;
  else if (!strcmp(s, "SAME_LOWER")) *mode = PAD_SAME_LOWER;
  else if (!strcmp(s, "VALID")) *mode = PAD_VALID;
  else
    return kn_fail(kn, KN_EINVAL, "node %s (%s): unknown auto_pad '%s'", n->name, ir_op_table[n->op].name, s);
  return KN_OK;
}

/* Window geometry of Conv / ConvTranspose / the pools along nsp spatial dims.
 * in_sp: input spatial dims (negative = symbolic); wkernel: kernel dims from
 * the weights (NULL for pools). Outputs: strides, dilations, begin/end pads
 * and output spatial dims; out_sp[i] = -1 when it depends on a symbolic dim
 * (pads then are meaningless, which only static inference sees). */
kn_status ir_nn_window(kn_ctx *kn, const ir_node *n, int nsp, const int64_t *in_sp, const int64_t *wkernel,
                       int64_t *stride, int64_t *dil, int64_t *pad_b, int64_t *pad_e, int64_t *out_sp) {
  int64_t k[KN_MAX_RANK], pads[2 * KN_MAX_RANK], opad[KN_MAX_RANK], oshape[KN_MAX_RANK + 2];
  bool kgiven, pgiven, osgiven = false;
  int mode;
  const bool transpose = n->op == IR_OP_ConvTranspose;
  if (nsp < 1 || nsp > KN_MAX_RANK - 2) return ir_node_fail(kn, n, KN_ESHAPE, "unsupported spatial rank %d", nsp);
  KN_TRY(attr_ints(kn, n, "kernel_shape", nsp, 0, k, &kgiven));
  KN_TRY(attr_ints(kn, n, "strides", nsp, 1, stride, NULL));
  KN_TRY(attr_ints(kn, n, "dilations", nsp, 1, dil, NULL));
  KN_TRY(attr_ints(kn, n, "pads", 2 * nsp, 0, pads, &pgiven));
  KN_TRY(auto_pad_mode(kn, n, &mode));
  int64_t ceil_mode = ir_attr_i(n, "ceil_mode");
  if (transpose) {
    KN_TRY(attr_ints(kn, n, "output_padding", nsp, 0, opad, NULL));
    const ir_attr *os = ir_attr_get(n, "output_shape");
    if (os) {
      if (os->kind != IR_ATTR_INTS || (os->n != nsp && os->n != nsp + 2))
        return ir_node_fail(kn, n, KN_EINVAL, "output_shape has %d entries, expected %d", os->n, nsp);
      for (int i = 0; i < nsp; i++) oshape[i] = os->ints[os->n - nsp + i];
      osgiven = true;
    }
  }
  if (!kgiven && !wkernel) return ir_node_fail(kn, n, KN_EINVAL, "kernel_shape is required");
  for (int i = 0; i < nsp; i++) {
    if (wkernel) {
      if (kgiven && wkernel[i] >= 0 && k[i] != wkernel[i])
        return ir_node_fail(kn, n, KN_ESHAPE, "kernel_shape %lld disagrees with the weight's dim %lld", (long long)k[i], (long long)wkernel[i]);
      if (!kgiven) k[i] = wkernel[i];
    }
    if (k[i] < 0) { /* symbolic weight dims: shape unknown, nothing more to check */
      out_sp[i] = -1;
      continue;
    }
    if (k[i] < 1 || k[i] > NN_ATTR_MAX) return ir_node_fail(kn, n, KN_EINVAL, "bad kernel size %lld", (long long)k[i]);
    if (stride[i] < 1 || stride[i] > NN_ATTR_MAX) return ir_node_fail(kn, n, KN_EINVAL, "bad stride %lld", (long long)stride[i]);
    if (dil[i] < 1 || dil[i] > NN_ATTR_MAX) return ir_node_fail(kn, n, KN_EINVAL, "bad dilation %lld", (long long)dil[i]);
    pad_b[i] = pads[i];
    pad_e[i] = pads[nsp + i];
    if (pad_b[i] < 0 || pad_e[i] < 0 || pad_b[i] > NN_ATTR_MAX || pad_e[i] > NN_ATTR_MAX)
      return ir_node_fail(kn, n, KN_EINVAL, "bad pads %lld, %lld", (long long)pad_b[i], (long long)pad_e[i]);
    const int64_t ek = (k[i] - 1) * dil[i] + 1, in = in_sp[i], s = stride[i];
    if (in < 0) {
      out_sp[i] = transpose && osgiven ? oshape[i] : -1;
      continue;
    }
    if (in > ((int64_t)1 << 40)) return ir_node_fail(kn, n, KN_ESHAPE, "absurd spatial dim %lld", (long long)in);
    if (transpose) {
      if (opad[i] < 0 || opad[i] > NN_ATTR_MAX) return ir_node_fail(kn, n, KN_EINVAL, "bad output_padding %lld", (long long)opad[i]);
      const int64_t full = s * (in - 1) + opad[i] + ek; /* output size with zero pads */
      if (osgiven || mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
        int64_t out = osgiven ? oshape[i] : in * s;
        if (out < 0 || out > ((int64_t)1 << 40)) return ir_node_fail(kn, n, KN_ESHAPE, "bad output_shape %lld", (long long)out);
        int64_t total = full - out;
        if (mode == PAD_SAME_UPPER) {
          pad_b[i] = floor_div(total, 2);
          pad_e[i] = total - pad_b[i];
        } else {
          pad_e[i] = floor_div(total, 2);
          pad_b[i] = total - pad_e[i];
        }
        out_sp[i] = out;
      } else {
        if (mode == PAD_VALID) pad_b[i] = pad_e[i] = 0;
        out_sp[i] = full - pad_b[i] - pad_e[i];
      }
      if (out_sp[i] < 0) return ir_node_fail(kn, n, KN_ESHAPE, "pads leave a negative output size %lld along spatial dim %d", (long long)out_sp[i], i);
      continue;
    }
    if (mode == PAD_SAME_UPPER || mode == PAD_SAME_LOWER) {
      int64_t out = (in + s - 1) / s, total = (out - 1) * s + ek - in;
      if (total < 0) total = 0;
      pad_b[i] = mode == PAD_SAME_UPPER ? total / 2 : total - total / 2;
      pad_e[i] = total - pad_b[i];
      out_sp[i] = out;
      continue;
    }
    if (mode == PAD_VALID) pad_b[i] = pad_e[i] = 0;
    const int64_t span = in + pad_b[i] + pad_e[i] - ek;
    if (span < 0)
      return ir_node_fail(kn, n, KN_ESHAPE, "window of %lld along spatial dim %d exceeds the padded input of %lld",
                       (long long)ek, i, (long long)(in + pad_b[i] + pad_e[i]));
    int64_t out = span / s + 1;
    if (ceil_mode && mode == PAD_NOTSET) {
      out = (span + s - 1) / s + 1;
      if ((out - 1) * s >= in + pad_b[i]) out--; /* last window must start inside the image */
    }
    out_sp[i] = out;
  }
  return KN_OK;
}

kn_status ir_nn_win_make(kn_ctx *kn, const ir_node *n, int rank, const int64_t *xdims, const int64_t *kernel,
                         kk_nn_win *w, int64_t *out_sp) {
  const int nsp = rank - 2;
  int64_t stride[KN_MAX_RANK], dil[KN_MAX_RANK], pb[KN_MAX_RANK], pe[KN_MAX_RANK], k[KN_MAX_RANK];
  if (nsp < 1) return ir_node_fail(kn, n, KN_ESHAPE, "input must be [N, C, spatial...]");
  if (nsp > KK_NN_SP) return ir_node_fail(kn, n, KN_EUNSUPPORTED, "%d spatial dims (at most %d supported)", nsp, KK_NN_SP);
  KN_TRY(ir_nn_window(kn, n, nsp, xdims + 2, kernel, stride, dil, pb, pe, out_sp));
  const ir_attr *ks = ir_attr_get(n, "kernel_shape");
  for (int i = 0; i < nsp; i++) k[i] = ks && ks->kind == IR_ATTR_INTS && ks->n == nsp ? ks->ints[i] : kernel ? kernel[i] : 1;
  const bool tr = n->op == IR_OP_ConvTranspose;
  for (int i = 0, j = KK_NN_SP - nsp; i < KK_NN_SP; i++) {
    bool real = i >= j;
    int s = i - j;
    w->in[i] = real ? (tr ? out_sp[s] : xdims[2 + s]) : 1;
    w->out[i] = real ? (tr ? xdims[2 + s] : out_sp[s]) : 1;
    w->k[i] = real ? k[s] : 1;
    w->stride[i] = real ? stride[s] : 1;
    w->dil[i] = real ? dil[s] : 1;
    w->pad[i] = real ? pb[s] : 0;
    w->pad_end[i] = real ? pe[s] : 0;
  }
  return KN_OK;
}

static kn_status same_dtype(ir_infer_ctx *c, int a, int b) {
  if (c->in[a]->dtype != c->in[b]->dtype)
    return ir_infer_fail(c, KN_ETYPE, "input %d is %s but input %d is %s", b, kn_dtype_name(c->in[b]->dtype), a,
                         kn_dtype_name(c->in[a]->dtype));
  return KN_OK;
}

static bool dims_conflict(int64_t a, int64_t b) { return a >= 0 && b >= 0 && a != b; }

/* ---- MatMul: numpy semantics (1-D operands promoted then squeezed) ---- */
kn_status ir_infer_matmul(ir_infer_ctx *c) {
  KN_TRY(same_dtype(c, 0, 1));
  const ir_type *a = c->in[0], *b = c->in[1];
  ir_type *y = &c->out[0];
  y->dtype = a->dtype;
  if (a->rank < 0 || b->rank < 0) {
    y->rank = IR_RANK_UNKNOWN;
    return KN_OK;
  }
  if (a->rank == 0 || b->rank == 0) return ir_infer_fail(c, KN_ESHAPE, "MatMul operands must have rank >= 1");
  int64_t ka = a->dims[a->rank - 1], kb = b->rank == 1 ? b->dims[0] : b->dims[b->rank - 2];
  if (dims_conflict(ka, kb))
    return ir_infer_fail(c, KN_ESHAPE, "inner dims differ: %lld vs %lld", (long long)ka, (long long)kb);
  ir_type ba = *a, bb = *b, bo;
  ba.rank = a->rank > 2 ? a->rank - 2 : 0;
  bb.rank = b->rank > 2 ? b->rank - 2 : 0;
  KN_TRY(ir_broadcast_dims(c, &ba, &bb, &bo));
  int r = bo.rank;
  if (r + 2 > KN_MAX_RANK) return ir_infer_fail(c, KN_ESHAPE, "result rank too large");
  memcpy(y->dims, bo.dims, sizeof(int64_t) * (size_t)r);
  if (a->rank > 1) y->dims[r++] = a->dims[a->rank - 2];
  if (b->rank > 1) y->dims[r++] = b->dims[b->rank - 1];
  y->rank = r;
  return KN_OK;
}

/* ---- Gemm: Y = alpha * A' B' + beta * C, C broadcast to [M, N] ---- */
kn_status ir_infer_gemm(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  KN_TRY(same_dtype(c, 0, 1));
  const ir_type *a = c->in[0], *b = c->in[1];
  if (a->rank != 2 || b->rank != 2)
    return ir_infer_fail(c, KN_ESHAPE, "Gemm needs 2-D A and B, got ranks %d and %d", a->rank, b->rank);
  int ta = ir_attr_i(c->node, "transA") != 0, tb = ir_attr_i(c->node, "transB") != 0;
  int64_t M = a->dims[ta], Ka = a->dims[!ta], Kb = b->dims[tb], N = b->dims[!tb];
  if (dims_conflict(Ka, Kb))
    return ir_infer_fail(c, KN_ESHAPE, "inner dims differ: %lld vs %lld", (long long)Ka, (long long)Kb);
  if (c->nin > 2 && c->in[2]) {
    const ir_type *ct = c->in[2];
    KN_TRY(same_dtype(c, 0, 2));
    if (ct->rank > 2) return ir_infer_fail(c, KN_ESHAPE, "C must have rank <= 2, got %d", ct->rank);
    for (int i = 0; i < ct->rank && ct->rank >= 0; i++) {
      int64_t d = ct->dims[i], want = i == ct->rank - 1 ? N : M;
      if (d != 1 && dims_conflict(d, want))
        return ir_infer_fail(c, KN_ESHAPE, "C dim %d (%lld) does not broadcast to %lld", i, (long long)d,
                             (long long)want);
    }
  }
  c->out[0].dtype = a->dtype;
  c->out[0].rank = 2;
  c->out[0].dims[0] = M;
  c->out[0].dims[1] = N;
  return KN_OK;
}

/* ---- Einsum ---- */
#define EIN_LETTERS 52 /* 'A'..'Z' = 0..25, 'a'..'z' = 26..51: ASCII order */
#define EIN_ELL(j) (EIN_LETTERS + (j))

static int ein_letter(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return 26 + ch - 'a';
  return -1;
}

/* Parses one term (up to ',' / '-' / end). labs gets letter ids and -1 for
 * the ellipsis; returns the count or -1 on a malformed term. */
static int ein_term(const char **pp, int *labs, int max) {
  const char *p = *pp;
  int n = 0, ell = 0;
  for (; *p && *p != ',' && *p != '-'; p++) {
    if (*p == ' ' || *p == '\t') continue;
    if (n >= max) return -1;
    if (*p == '.') {
      if (p[1] != '.' || p[2] != '.' || ell++) return -1;
      p += 2;
      labs[n++] = -1;
      continue;
    }
    int l = ein_letter(*p);
    if (l < 0) return -1;
    labs[n++] = l;
  }
  *pp = p;
  return n;
}

/* Maps each operand axis to a label id (letters 0..51, ellipsis dims 52+j,
 * right-aligned so "..." broadcasts like numpy) and lists the output labels
 * (explicit after "->", else the ellipsis dims then the letters used once,
 * in ASCII order). op_lab is [nops][KN_MAX_RANK]. */
kn_status ir_einsum_parse(kn_ctx *kn, const ir_node *n, const char *eq, int nops, const int *ranks,
                          int *op_lab, int *out_lab, int *nout) {
  int terms[KN_MAX_RANK + 1][KN_MAX_RANK + 1], tn[KN_MAX_RANK + 1], ell_rank[KN_MAX_RANK + 1];
  int count[EIN_LETTERS] = {0}, max_ell = 0;
  const char *p = eq;
  if (nops < 1 || nops > KN_MAX_RANK + 1) return ir_node_fail(kn, n, KN_EUNSUPPORTED, "%d einsum operands (at most %d)", nops, KN_MAX_RANK + 1);
  for (int q = 0; q < nops; q++) {
    if (q > 0) {
      if (*p != ',') return ir_node_fail(kn, n, KN_EINVAL, "equation has fewer terms than the %d inputs", nops);
      p++;
    }
    tn[q] = ein_term(&p, terms[q], KN_MAX_RANK + 1);
    if (tn[q] < 0) return ir_node_fail(kn, n, KN_EINVAL, "malformed einsum term %d in '%s'", q, eq);
    int letters = 0, has_ell = 0;
    for (int i = 0; i < tn[q]; i++) {
      if (terms[q][i] < 0) has_ell = 1;
      else letters++, count[terms[q][i]]++;
    }
    ell_rank[q] = ranks[q] - letters;
    if (ell_rank[q] < 0 || (!has_ell && ell_rank[q] != 0))
      return ir_node_fail(kn, n, KN_ESHAPE, "einsum term %d does not match input rank %d", q, ranks[q]);
    if (ell_rank[q] > max_ell) max_ell = ell_rank[q];
  }
  if (*p == ',') return ir_node_fail(kn, n, KN_EINVAL, "equation has more terms than the %d inputs", nops);
  for (int q = 0; q < nops; q++) {
    int ax = 0;
    for (int i = 0; i < tn[q]; i++) {
      if (terms[q][i] >= 0) op_lab[q * KN_MAX_RANK + ax++] = terms[q][i];
      else
        for (int j = 0; j < ell_rank[q]; j++) op_lab[q * KN_MAX_RANK + ax++] = EIN_ELL(max_ell - ell_rank[q] + j);
    }
  }
  int no = 0;
  if (*p == '-') {
    if (p[1] != '>') return ir_node_fail(kn, n, KN_EINVAL, "malformed arrow in '%s'", eq);
    p += 2;
    int labs[KN_MAX_RANK + 1], cnt = ein_term(&p, labs, KN_MAX_RANK + 1);
    if (cnt < 0 || *p) return ir_node_fail(kn, n, KN_EINVAL, "malformed output term in '%s'", eq);
    bool seen[EIN_LETTERS] = {false};
    for (int i = 0; i < cnt; i++) {
      if (labs[i] < 0) {
        for (int j = 0; j < max_ell; j++) {
          if (no >= KN_MAX_RANK) return ir_node_fail(kn, n, KN_ESHAPE, "einsum output rank is above %d", KN_MAX_RANK);
          out_lab[no++] = EIN_ELL(j);
        }
        continue;
      }
      if (!count[labs[i]] || seen[labs[i]])
        return ir_node_fail(kn, n, KN_EINVAL, "output label %d of '%s' is missing from the inputs or repeated", i, eq);
      seen[labs[i]] = true;
      if (no >= KN_MAX_RANK) return ir_node_fail(kn, n, KN_ESHAPE, "einsum output rank is above %d", KN_MAX_RANK);
      out_lab[no++] = labs[i];
    }
  } else {
    if (*p) return ir_node_fail(kn, n, KN_EINVAL, "unexpected character '%c' in '%s'", *p, eq);
    for (int j = 0; j < max_ell; j++) out_lab[no++] = EIN_ELL(j);
    for (int l = 0; l < EIN_LETTERS; l++)
      if (count[l] == 1) {
        if (no >= KN_MAX_RANK) return ir_node_fail(kn, n, KN_ESHAPE, "einsum output rank is above %d", KN_MAX_RANK);
        out_lab[no++] = l;
      }
  }
  *nout = no;
  return KN_OK;
}

kn_status ir_infer_einsum(ir_infer_ctx *c) {
  const char *eq = ir_attr_str(c->node, "equation", NULL);
  if (!eq) return ir_infer_fail(c, KN_EINVAL, "Einsum needs an equation");
  int ranks[KN_MAX_RANK + 1], op_lab[(KN_MAX_RANK + 1) * KN_MAX_RANK], out_lab[KN_MAX_RANK], nout;
  if (c->nin > KN_MAX_RANK + 1) return ir_infer_fail(c, KN_EUNSUPPORTED, "too many einsum operands");
  for (int q = 0; q < c->nin; q++) {
    if (!c->in[q]) return ir_infer_fail(c, KN_EINVAL, "input %d is missing", q);
    KN_TRY(same_dtype(c, 0, q));
    ranks[q] = c->in[q]->rank;
  }
  c->out[0].dtype = c->in[0]->dtype;
  for (int q = 0; q < c->nin; q++)
    if (ranks[q] < 0) {
      c->out[0].rank = IR_RANK_UNKNOWN;
      return KN_OK;
    }
  KN_TRY(ir_einsum_parse(c->kn, c->node, eq, c->nin, ranks, op_lab, out_lab, &nout));
  /* per label: a known dim other than 1 wins (1 broadcasts), else a symbol */
  int64_t dim[EIN_LETTERS + KN_MAX_RANK];
  bool have[EIN_LETTERS + KN_MAX_RANK] = {false};
  for (int q = 0; q < c->nin; q++)
    for (int ax = 0; ax < ranks[q]; ax++) {
      int l = op_lab[q * KN_MAX_RANK + ax];
      int64_t d = c->in[q]->dims[ax];
      if (!have[l]) dim[l] = d, have[l] = true;
      else if (dim[l] == 1 || (dim[l] < 0 && d >= 0 && d != 1)) dim[l] = d;
      else if (d >= 0 && d != 1 && dim[l] >= 0 && d != dim[l])
        return ir_infer_fail(c, KN_ESHAPE, "einsum label '%c' has sizes %lld and %lld",
                             l < 26 ? 'A' + l : l < EIN_LETTERS ? 'a' + l - 26 : '.', (long long)dim[l],
                             (long long)d);
    }
  c->out[0].rank = nout;
  for (int i = 0; i < nout; i++) c->out[0].dims[i] = have[out_lab[i]] ? dim[out_lab[i]] : 1;
  return KN_OK;
}

/* ---- Conv / ConvTranspose / pools ---- */
static kn_status window_out(ir_infer_ctx *c, const int64_t *wkernel, ir_type *y) {
  const ir_type *x = c->in[0];
  int nsp = x->rank - 2;
  int64_t stride[KN_MAX_RANK], dil[KN_MAX_RANK], pb[KN_MAX_RANK], pe[KN_MAX_RANK], out[KN_MAX_RANK];
  KN_TRY(ir_nn_window(c->kn, c->node, nsp, x->dims + 2, wkernel, stride, dil, pb, pe, out));
  y->rank = x->rank;
  for (int i = 0; i < nsp; i++) y->dims[2 + i] = out[i] >= 0 ? out[i] : ir_infer_unknown_dim(c);
  return KN_OK;
}

static kn_status check_bias(ir_infer_ctx *c, int64_t M) {
  if (c->nin < 3 || !c->in[2]) return KN_OK;
  const ir_type *b = c->in[2];
  KN_TRY(same_dtype(c, 0, 2));
  if (b->rank >= 0 && (b->rank != 1 || dims_conflict(b->dims[0], M)))
    return ir_infer_fail(c, KN_ESHAPE, "bias must be 1-D of size %lld", (long long)M);
  return KN_OK;
}

static kn_status conv_common(ir_infer_ctx *c, bool transpose) {
  KN_TRY(ir_infer_need_rank(c, 0));
  KN_TRY(ir_infer_need_rank(c, 1));
  KN_TRY(same_dtype(c, 0, 1));
  const ir_type *x = c->in[0], *w = c->in[1];
  if (x->rank < 3) return ir_infer_fail(c, KN_ESHAPE, "input must be [N, C, spatial...], got rank %d", x->rank);
  if (w->rank != x->rank)
    return ir_infer_fail(c, KN_ESHAPE, "weight rank %d differs from input rank %d", w->rank, x->rank);
  int64_t group = ir_attr_i(c->node, "group");
  if (group < 1 || group > NN_ATTR_MAX) return ir_infer_fail(c, KN_EINVAL, "bad group %lld", (long long)group);
  int64_t C = x->dims[1], M;
  if (!transpose) {
    M = w->dims[0];
    if (w->dims[1] >= 0 && C >= 0 && w->dims[1] * group != C)
      return ir_infer_fail(c, KN_ESHAPE, "input has %lld channels, weight expects %lld x group %lld", (long long)C,
                           (long long)w->dims[1], (long long)group);
    if (M >= 0 && M % group)
      return ir_infer_fail(c, KN_ESHAPE, "%lld output channels do not split into %lld groups", (long long)M,
                           (long long)group);
  } else {
    M = w->dims[1] >= 0 ? w->dims[1] * group : ir_infer_unknown_dim(c);
    if (dims_conflict(C, w->dims[0]))
      return ir_infer_fail(c, KN_ESHAPE, "input has %lld channels, weight has %lld", (long long)C,
                           (long long)w->dims[0]);
    if (C >= 0 && C % group)
      return ir_infer_fail(c, KN_ESHAPE, "%lld input channels do not split into %lld groups", (long long)C,
                           (long long)group);
  }
  KN_TRY(check_bias(c, M));
  ir_type *y = &c->out[0];
  y->dtype = x->dtype;
  KN_TRY(window_out(c, w->dims + 2, y));
  y->dims[0] = x->dims[0];
  y->dims[1] = M;
  return KN_OK;
}

kn_status ir_infer_conv(ir_infer_ctx *c) { return conv_common(c, false); }
kn_status ir_infer_conv_transpose(ir_infer_ctx *c) { return conv_common(c, true); }

kn_status ir_infer_pool(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  if (x->rank < 3) return ir_infer_fail(c, KN_ESHAPE, "input must be [N, C, spatial...], got rank %d", x->rank);
  ir_type *y = &c->out[0];
  y->dtype = x->dtype;
  KN_TRY(window_out(c, NULL, y));
  y->dims[0] = x->dims[0];
  y->dims[1] = x->dims[1];
  if (c->nout > 1) {
    c->out[1] = *y;
    c->out[1].dtype = KN_I64;
  }
  return KN_OK;
}

kn_status ir_infer_global_pool(ir_infer_ctx *c) {
  KN_TRY(ir_infer_need_rank(c, 0));
  const ir_type *x = c->in[0];
  if (x->rank < 2) return ir_infer_fail(c, KN_ESHAPE, "input must be [N, C, spatial...], got rank %d", x->rank);
  c->out[0] = *x;
  for (int i = 2; i < x->rank; i++) c->out[0].dims[i] = 1;
  return KN_OK;
}
