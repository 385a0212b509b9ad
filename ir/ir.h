/* ir.h: kiln's graph IR, the internal header of ir/ (sectioned by file).
 * Values and nodes are int32 ids into arrays the graph owns (no pointer soup);
 * deleting marks a node dead and ir_graph_compact() renumbers. Names,
 * attributes and constants live in the graph's arena and die with it. */
#ifndef KILN_IR_H
#define KILN_IR_H

#include "kiln.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define KN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define KN_HIDDEN __attribute__((visibility("hidden")))
#else
#define KN_PRINTF(a, b)
#define KN_HIDDEN
#endif

/* ===== context.c: errors and limits ===== */
#define KN_DEFAULT_MAX_LOOP_ITERS 1000000
struct kn_ctx {
  kn_status status;
  char msg[2048];
  uint64_t mem_limit;
  int64_t max_loop_iters; /* iterations one Loop node may run (reference executor) */
  int verbose;
};
/* Formats the message into ctx and returns `st` so callers can `return kn_fail(...)`. */
kn_status kn_fail(kn_ctx *ctx, kn_status st, const char *fmt, ...) KN_PRINTF(3, 4);
/* Prepends context ("model.onnx: ") to the current message. */
void kn_prefix(kn_ctx *ctx, const char *fmt, ...) KN_PRINTF(2, 3);
#define KN_TRY(expr)                                                                               \
  do {                                                                                             \
    kn_status kn_try_st_ = (expr);                                                                 \
    if (kn_try_st_ != KN_OK) return kn_try_st_;                                                    \
  } while (0)

/* ===== small helpers used everywhere ===== */
/* A monotonic clock in milliseconds, for phase times and benchmarks (context.c). */
double kn_now_ms(void);
/* 64-bit FNV-1a: kn_fnv1a(KN_FNV_OFFSET, bytes, n), chained by passing h on;
 * kn_fnv1a_word mixes a whole 64-bit word in one step. */
#define KN_FNV_OFFSET 0xcbf29ce484222325ull
#define KN_FNV_PRIME 0x100000001b3ull
static inline uint64_t kn_fnv1a(uint64_t h, const void *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ ((const unsigned char *)p)[i]) * KN_FNV_PRIME;
  return h;
}
static inline uint64_t kn_fnv1a_word(uint64_t h, uint64_t w) { return (h ^ w) * KN_FNV_PRIME; }

/* ===== tensor.c: dense tensors ===== */
/* numel of dims with overflow check; returns -1 on overflow or negative dim */
int64_t kn_dims_numel(int rank, const int64_t *dims);
/* the product of dims[from..to) (no overflow check: for dims already checked) */
int64_t kn_dims_prod(const int64_t *dims, int from, int to);
/* Allocates zeroed, 64-byte aligned storage; checks overflow and the mem limit. */
kn_status kn_tensor_alloc(kn_ctx *ctx, kn_tensor *t, int dtype, int rank, const int64_t *dims);
kn_status kn_tensor_clone(kn_ctx *ctx, kn_tensor *dst, const kn_tensor *src);
void *kn_aligned_alloc(size_t bytes);
void kn_aligned_free(void *p);
bool kn_dtype_is_float(int dtype);
bool kn_dtype_is_int(int dtype); /* signed or unsigned integer, not bool */
int kn_dtype_from_name(const char *name); /* "f32" etc; KN_UNDEF if unknown */
const char *kn_dtype_short(int dtype);    /* "f32" */
/* Reads element i of a numeric tensor as double / int64 (any dtype). */
double kn_tensor_get_f64(const kn_tensor *t, int64_t i);
int64_t kn_tensor_get_i64(const kn_tensor *t, int64_t i);
void kn_tensor_set_f64(kn_tensor *t, int64_t i, double v);
float kn_f16_to_f32(uint16_t h);
uint16_t kn_f32_to_f16(float f);
float kn_bf16_to_f32(uint16_t h);
uint16_t kn_f32_to_bf16(float f);

/* ===== arena.c: bump allocator owned by a graph ===== */
typedef struct ir_arena_chunk ir_arena_chunk;
typedef struct ir_arena {
  ir_arena_chunk *head;
  size_t total;
} ir_arena;
void *ir_arena_alloc(ir_arena *a, size_t bytes); /* zeroed, 16-aligned; NULL on OOM */
char *ir_arena_strdup(ir_arena *a, const char *s);
char *ir_arena_strndup(ir_arena *a, const char *s, size_t n);
void ir_arena_free(ir_arena *a);

/* ===== the ops (ops.def) ===== */
typedef enum ir_op {
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) IR_OP_##name,
#include "ops.def"
#undef OP
  IR_OP_COUNT
} ir_op;
/* the columns of ops.def (its header says what each means) */
typedef enum ir_op_domain { IR_DOMAIN_ONNX, IR_DOMAIN_INTERNAL, IR_NDOMAINS } ir_op_domain;
typedef enum ir_op_pattern {
  IR_PAT_ELEMWISE,
  IR_PAT_BROADCAST,
  IR_PAT_CONVERT,
  IR_PAT_VIEW,
  IR_PAT_MOVE,
  IR_PAT_REDUCE,
  IR_PAT_OPAQUE,
  IR_PAT_CONTROL,
  IR_NPATTERNS
} ir_op_pattern;
#define IR_ONNX_OPSET_MIN 1
#define IR_ONNX_OPSET_MAX 21
extern const char *const ir_op_domain_names[IR_NDOMAINS];   /* "ai.onnx", "internal" */
extern const char *const ir_op_pattern_names[IR_NPATTERNS]; /* "elemwise", ... */
typedef struct ir_op_info {
  const char *name;
  ir_op_domain domain;
  int since, form; /* ONNX opsets (0 for internal ops) */
  ir_op_pattern pattern;
  bool lowered;     /* compiled code generates code for it (which may decline a node) */
  bool kernel_call; /* compiled code can call its kernel (runtime/kcall/ plans the call) */
  int min_in, max_in, min_out, max_out;
} ir_op_info;
extern const ir_op_info ir_op_table[IR_OP_COUNT];
int ir_op_from_name(const char *name); /* -1 if unknown */
/* The IR op an ONNX node of the default domain names at `opset`: -1 with a
 * message (naming the node) when kiln has no such ONNX op, the op is
 * kiln-internal, or the model's opset predates it. */
int ir_op_from_onnx(kn_ctx *kn, const char *node, const char *op_type, int opset);
/* Bit k set: operand k's value (not only its type) shapes the op's outputs
 * (ops.def's SHAPED_BY rows). */
extern const uint32_t ir_op_shape_inputs[IR_OP_COUNT];
/* ops.def's OP_FLAGS rows: what the passes may do with an op */
enum { IR_OPF_FUSED_LOOP = 1u << 0, IR_OPF_BLOCKED_OK = 1u << 1 };
extern const uint32_t ir_op_flags[IR_OP_COUNT];
static inline bool ir_op_is_view(ir_op op) { return ir_op_table[op].pattern == IR_PAT_VIEW; }

/* ===== types: dtype + rank + dims (symbolic dims are negative ids) ===== */
#define IR_SYM(k) (-1 - (int64_t)(k)) /* symbolic dim k */
#define IR_DIM_IS_SYM(d) ((d) < 0)
#define IR_SYM_ID(d) ((int32_t)(-1 - (d)))
#define IR_RANK_UNKNOWN (-1)
typedef struct ir_type {
  int32_t dtype;
  int32_t rank; /* IR_RANK_UNKNOWN when not known */
  int64_t dims[KN_MAX_RANK];
} ir_type;
bool ir_type_is_concrete(const ir_type *t);
/* Same dtype, rank and dims (symbolic dims compare by id); false if either is NULL. */
bool ir_type_equal(const ir_type *a, const ir_type *b);
/* elements of a concrete type (-1 on overflow) */
static inline int64_t ir_type_numel(const ir_type *t) { return kn_dims_numel(t->rank, t->dims); }

/* ===== attributes ===== */
typedef enum ir_attr_kind {
  IR_ATTR_FLOAT = 1,
  IR_ATTR_INT,
  IR_ATTR_STRING,
  IR_ATTR_TENSOR,
  IR_ATTR_GRAPH,
  IR_ATTR_FLOATS,
  IR_ATTR_INTS,
  IR_ATTR_STRINGS
} ir_attr_kind;
struct ir_graph;
typedef struct ir_attr {
  const char *name;
  ir_attr_kind kind;
  int32_t n; /* element count for lists, byte length for STRING */
  int64_t i;
  float f;
  const char *s;
  kn_tensor *t;
  struct ir_graph *g;
  int64_t *ints;
  float *floats;
  const char **strings;
} ir_attr;

/* ===== graph.c: nodes, values, graphs ===== */
typedef int32_t ir_id;
#define IR_NONE (-1)

typedef struct ir_value {
  const char *name;
  ir_type type;
  ir_id producer;     /* node id, or IR_NONE for inputs/constants/outer refs */
  kn_tensor *constant; /* non-NULL for initializers and folded constants */
  bool is_input;
  bool is_output;
  bool is_outer; /* subgraph reference to a value of an enclosing graph, by name */
} ir_value;

typedef struct ir_node {
  ir_op op;
  const char *name;
  int32_t nin, nout;
  ir_id *in;  /* IR_NONE for an absent optional input */
  ir_id *out; /* IR_NONE for an absent optional output */
  int32_t nattr;
  ir_attr *attrs;
  bool dead;
} ir_node;

typedef struct ir_graph {
  kn_ctx *ctx;
  ir_arena arena;
  const char *name;
  struct ir_graph *parent; /* enclosing graph for subgraphs */
  ir_value *values;
  int32_t nvalues, cap_values;
  ir_node *nodes;
  int32_t nnodes, cap_nodes;
  ir_id *inputs;
  int32_t ninputs, cap_inputs;
  ir_id *outputs;
  int32_t noutputs, cap_outputs;
  const char **syms; /* names of symbolic dims (NULL name = anonymous) */
  int32_t nsyms, cap_syms;
  int32_t opset; /* default-domain opset the graph was imported at (info only) */
  int32_t ncontrol_nodes; /* If/Loop nodes ever added: 0 means no subgraph reads a value (ir/capture.c) */
} ir_graph;
/* An error naming the node: "node NAME (Op): <message>" (context.c). */
kn_status ir_node_fail(kn_ctx *ctx, const ir_node *n, kn_status st, const char *fmt, ...) KN_PRINTF(4, 5);
kn_status ir_node_failv(kn_ctx *ctx, const ir_node *n, kn_status st, const char *fmt, va_list ap);
/* the type of value v */
static inline const ir_type *ir_vtype(const ir_graph *g, ir_id v) { return &g->values[v].type; }

ir_graph *ir_graph_new(kn_ctx *ctx, const char *name);
ir_graph *ir_subgraph_new(ir_graph *parent, const char *name);
void ir_graph_free(ir_graph *g);
/* New value; name may be NULL (a unique name is generated). */
ir_id ir_value_new(ir_graph *g, const char *name, const ir_type *type);
ir_id ir_value_find(const ir_graph *g, const char *name); /* IR_NONE if absent */
/* Gives v a new name (copied into the arena). */
kn_status ir_value_rename(ir_graph *g, ir_id v, const char *name);
/* New constant value that takes ownership of *t (t is zeroed). */
ir_id ir_const_new(ir_graph *g, const char *name, kn_tensor *t);
/* New node; inputs/outputs copied. Returns node id or IR_NONE on OOM. */
ir_id ir_node_new(ir_graph *g, ir_op op, const char *name, int nin, const ir_id *in, int nout,
                  const ir_id *out);
kn_status ir_graph_add_input(ir_graph *g, ir_id v);
kn_status ir_graph_add_output(ir_graph *g, ir_id v);
/* Copies a type from graph src into graph dst, mapping symbolic dims by name
 * (anonymous symbols become fresh ones): symbol ids are per graph. */
void ir_type_import(ir_graph *dst, const ir_graph *src, const ir_type *t, ir_type *out);
/* Symbols: returns the id of the named symbol, creating it; name NULL = fresh anonymous. */
int32_t ir_sym_get(ir_graph *g, const char *name);
const char *ir_sym_name(const ir_graph *g, int32_t sym); /* may be NULL */
/* Attributes (values copied into the graph arena). */
kn_status ir_attr_set_int(ir_graph *g, ir_node *n, const char *name, int64_t v);
kn_status ir_attr_set_float(ir_graph *g, ir_node *n, const char *name, float v);
kn_status ir_attr_set_string(ir_graph *g, ir_node *n, const char *name, const char *s, size_t len);
kn_status ir_attr_set_ints(ir_graph *g, ir_node *n, const char *name, const int64_t *v, int cnt);
kn_status ir_attr_set_floats(ir_graph *g, ir_node *n, const char *name, const float *v, int cnt);
kn_status ir_attr_set_strings(ir_graph *g, ir_node *n, const char *name, const char **v, int cnt);
kn_status ir_attr_set_tensor(ir_graph *g, ir_node *n, const char *name, kn_tensor *t); /* takes t */
kn_status ir_attr_set_graph(ir_graph *g, ir_node *n, const char *name, ir_graph *sub); /* takes sub */
ir_attr *ir_attr_add(ir_graph *g, ir_node *n, const char *name, ir_attr_kind kind);
const ir_attr *ir_attr_get(const ir_node *n, const char *name);
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t def);
float ir_attr_float(const ir_node *n, const char *name, float def);
const char *ir_attr_str(const ir_node *n, const char *name, const char *def);

/* ===== attr_schema.c, attr_typed.c: attribute types and ONNX defaults ===== */
#define IR_ATTR_ANY_OP (-1)
/* One row of the attribute schema: the type ONNX gives attribute `name` of
 * op (an ir_op, or IR_ATTR_ANY_OP: every op without a row of its own) up to
 * opset `until` (0: every opset), and ONNX's default when it has one (in i,
 * f or s by kind). Defaults are the IR form's (the newest ONNX form's). */
typedef struct ir_attr_schema {
  const char *name;
  int op;
  int until;
  ir_attr_kind kind;
  bool has_default;
  int64_t i;
  float f;
  const char *s;
} ir_attr_schema;
/* The row for attribute name of op at opset (0: the IR form): op's own row
 * if it has one, else the row for every op; NULL when the schema does not
 * list the name. Pass op -1 for an op kiln does not know. */
const ir_attr_schema *ir_attr_schema_find(int op, const char *name, int opset);
const ir_attr_schema *ir_attr_schema_rows(size_t *count); /* the whole table (tests) */
/* Typed getters: the attribute's value when present (an INT and a FLOAT
 * convert, as ir_attr_int/ir_attr_float do), else ONNX's default for n's op
 * from the schema. Use them wherever the absent attribute means ONNX's
 * default; keep ir_attr_int & co. with an explicit default for kiln's own
 * attributes and for sentinels ("absent") of required or shape-dependent
 * ones (Cast's `to`, Shape's `end`). A read the schema has no default for
 * gives 0 / 0.0f / "" and is counted: */
int64_t ir_attr_i(const ir_node *n, const char *name);
float ir_attr_f(const ir_node *n, const char *name);
const char *ir_attr_s(const ir_node *n, const char *name);
/* how many typed reads found no default (a bug the runners report), and
 * the first one's op and attribute name (either pointer may be NULL) */
long ir_attr_schema_misses(int *op, const char **name);
/* Number of live nodes; node order in g->nodes is a valid schedule (topological). */
int32_t ir_graph_live_nodes(const ir_graph *g);
/* Removes dead nodes and unreferenced values (a value a live node's subgraph
 * reads by name is referenced), renumbering ids (names kept). */
kn_status ir_graph_compact(ir_graph *g);
/* Sorts nodes topologically (imports may be unordered); fails on cycles. */
kn_status ir_graph_toposort(ir_graph *g);
/* Arena-allocated tensor copy helpers for constants. */
kn_tensor *ir_tensor_new(ir_graph *g); /* zeroed kn_tensor struct in arena; data freed with graph */
/* Takes ownership of t->data (freed with the graph). */
void ir_graph_own_data(ir_graph *g, void *data);

/* ===== capture.c: values that subgraphs read by name ===== */
/* Called for each outer reference (is_outer value) of a subgraph, at any
 * depth, of a node of g that no graph in between defines itself: v is the
 * value of g it reads, IR_NONE when g has no value of that name (then a graph
 * enclosing g must). Returning true stops the walk. */
typedef bool (*ir_capture_fn)(void *arg, const ir_graph *sub, const char *name, ir_id v);
/* Walks the outer references of node n's subgraphs (those of live nodes
 * inside them too); true when fn stopped it. */
bool ir_node_captures(const ir_graph *g, const ir_node *n, ir_capture_fn fn, void *arg);
/* count[v] += the number of outer references to value v of g made by the
 * subgraphs of g's live nodes (count: g->nvalues entries). */
void ir_count_captures(const ir_graph *g, int32_t *count);
/* True when a subgraph of a live node of g reads value v of g by name. */
bool ir_value_captured(const ir_graph *g, ir_id v);

/* ===== custom_op.c: user functions for ops kiln does not know ===== */
#define IR_CUSTOM_MAX_ARGS 16
typedef enum ir_custom_arg_kind {
  IR_CARG_IN,     /* const T *: input data */
  IR_CARG_OUT,    /* T *: output data */
  IR_CARG_NUMEL,  /* int64_t: element count of an input/output */
  IR_CARG_DIM,    /* int64_t: one dim of an input/output */
  IR_CARG_ATTR_I, /* int64_t: an int attribute */
  IR_CARG_ATTR_F  /* float: a float attribute */
} ir_custom_arg_kind;
typedef struct ir_custom_arg {
  ir_custom_arg_kind kind;
  int index;      /* input/output number */
  bool of_output; /* NUMEL/DIM: of output `index` */
  int dim;
  char attr[64];
} ir_custom_arg;
typedef struct ir_custom_sig {
  bool returns_int; /* int (0 = success) or void */
  char symbol[128];
  int nargs;
  ir_custom_arg args[IR_CUSTOM_MAX_ARGS];
} ir_custom_sig;
/* Parses "void|int SYMBOL(ARG, ...)" (the grammar is in custom_op.c). */
kn_status ir_custom_sig_parse(kn_ctx *kn, const char *text, ir_custom_sig *sig);
/* The registry of --custom-op registrations: owned by whoever loads models
 * (the CLI, a test) and handed to the importer; errors go to kn. */
typedef struct ir_custom_ops ir_custom_ops;
ir_custom_ops *ir_custom_ops_new(void); /* NULL on OOM */
void ir_custom_ops_free(ir_custom_ops *r);
/* Registers "OPTYPE=LIBRARY:SIGNATURE" (--custom-op). */
kn_status ir_custom_register(kn_ctx *kn, ir_custom_ops *r, const char *spec);
bool ir_custom_registered(const ir_custom_ops *r, const char *op_type); /* r may be NULL */
/* Gives node n (op Custom) the registration's attributes; KN_EUNSUPPORTED
 * when op_type is not registered. */
kn_status ir_custom_make_node(ir_graph *g, ir_node *n, const ir_custom_ops *r, const char *op_type);

/* ===== infer.c: shape and dtype inference ===== */
typedef struct ir_infer_ctx {
  kn_ctx *kn;
  ir_graph *g;
  const ir_node *node;
  int nin;
  const ir_type *const *in;    /* in[i] NULL if absent */
  const kn_tensor *const *val; /* known constant value of input i, else NULL */
  int nout;
  ir_type *out; /* nout entries to fill */
} ir_infer_ctx;
typedef kn_status (*ir_infer_fn)(ir_infer_ctx *c);
/* Infers every node of g in order, filling value types (inputs must be typed). */
kn_status ir_infer_graph(ir_graph *g);
/* Infers one node from explicit input types/values (used by the executor). */
kn_status ir_infer_node(kn_ctx *kn, ir_graph *g, const ir_node *n, const ir_type *const *in,
                        const kn_tensor *const *val, ir_type *out);
/* Error for the node being inferred: "node NAME (Op): ..." */
kn_status ir_infer_fail(ir_infer_ctx *c, kn_status st, const char *fmt, ...) KN_PRINTF(3, 4);
/* A fresh unknown dim. */
int64_t ir_infer_unknown_dim(ir_infer_ctx *c);
/* numpy broadcasting of two types' dims into out (dtype untouched). */
kn_status ir_broadcast_dims(ir_infer_ctx *c, const ir_type *a, const ir_type *b, ir_type *out);
/* Reads a constant 1-D int tensor input into v (up to max); -1 if not constant. */
int ir_infer_const_ints(ir_infer_ctx *c, int input, int64_t *v, int max);
/* Normalizes a possibly negative axis against rank; fails if out of range. */
kn_status ir_infer_axis(ir_infer_ctx *c, int64_t axis, int rank, int *out);
/* Shared checks: input i must be present/typed with known rank. */
kn_status ir_infer_need_rank(ir_infer_ctx *c, int input);
/* the infer functions named in ops.def */
#define OP(name, dom, since, form, pat, lower, mi, ma, mo, mao, inf) kn_status inf(ir_infer_ctx *c);
#include "ops.def"
#undef OP

/* ===== infer_fused.c ===== */
/* For FusedMatMul, FusedGemm and FusedConv: the base op whose result the body
 * starts from (MatMul, Gemm, Conv), and how many of the node's nin inputs are
 * the base op's (*nprod: 2, or 3 when present); -1 for any other op. */
int ir_fused_base(ir_op op, int nin, int *nprod);

/* ===== ir_infer_nn.c: geometry shared by shape inference and the kernels ===== */
/* Window geometry of Conv/ConvTranspose/pools: strides, dilations, pads
 * (auto_pad resolved) and output spatial sizes for nsp spatial dims. */
kn_status ir_nn_window(kn_ctx *kn, const ir_node *n, int nsp, const int64_t *in_sp, const int64_t *wkernel,
                       int64_t *stride, int64_t *dil, int64_t *pad_b, int64_t *pad_e, int64_t *out_sp);
/* The same as the kernel library's window (k_nn.h's kk_nn_win, normalized to
 * KK_NN_SP spatial dims, leading ones of size 1) for an [N, C, spatial...]
 * input of concrete dims xdims (rank >= 3): what the reference adapters and
 * the code generators hand the window kernels. ConvTranspose swaps the roles
 * (the window's image is the output). kernel: the weight's spatial dims (NULL
 * for pools: kernel_shape). out_sp (nsp entries) receives the output's
 * spatial dims. KN_EUNSUPPORTED beyond KK_NN_SP spatial dims. */
struct kk_nn_win;
kn_status ir_nn_win_make(kn_ctx *kn, const ir_node *n, int rank, const int64_t *xdims, const int64_t *kernel,
                         struct kk_nn_win *w, int64_t *out_sp);
/* Slice: the first source index of one sliced axis of size dim, for an ONNX
 * start (negative counts from the end) clamped as the spec says for the
 * step's sign; the count comes from the output's shape. */
static inline int64_t ir_slice_first(int64_t dim, int64_t start, int64_t step) {
  if (start < 0) start += dim;
  if (step > 0) return start < 0 ? 0 : start > dim ? dim : start;
  return start < -1 ? -1 : start > dim - 1 ? dim - 1 : start;
}
/* Parses an einsum equation into per-operand and output label lists. */
kn_status ir_einsum_parse(kn_ctx *kn, const ir_node *n, const char *eq, int nops, const int *ranks,
                          int *op_lab, int *out_lab, int *nout);

/* ===== infer_attention.c: the Attention op's geometry ===== */
/* Where an operand keeps its heads: "bshd" is the projection layout
 * [B, S, H*D] (heads side by side in the last dim), "bhsd" head-major
 * [B, H, S, D] (or [B*H, S, D]), "bhds" head-major with each head transposed
 * [B, H, D, S] (or [B*H, D, S]). S is the operand's sequence (S for Q and Y,
 * T for K and V), D its head dim. */
typedef enum ir_att_layout { IR_ATT_BSHD, IR_ATT_BHSD, IR_ATT_BHDS, IR_ATT_NLAYOUTS } ir_att_layout;
extern const char *const ir_att_layout_names[IR_ATT_NLAYOUTS];
/* An attention node with concrete shapes, as the executors walk it: element
 * (b, h, row, e) of an operand is at b*st[0] + h*st[1] + row*st[2] + e*st[3];
 * the mask's strides are over (b, h, s, t) and 0 along broadcast dims. */
typedef struct ir_att_geo {
  int64_t B, H, S, T, D, Dv;
  int64_t q[4], k[4], v[4], y[4], m[4];
  bool has_mask, causal;
  float scale;
} ir_att_geo;
/* The geometry of Attention node n for the given concrete input types (mask
 * NULL when absent); checks that they agree. */
kn_status ir_attention_geo(kn_ctx *kn, const ir_node *n, const ir_type *q, const ir_type *k, const ir_type *v,
                           const ir_type *mask, ir_att_geo *g);

/* ===== verify.c ===== */
kn_status ir_verify(const ir_graph *g);

/* ===== type_name.c ===== */
/* Writes a type as "f32[1, ?, 77]" (symbolic dims by name) into buf[n]. */
void ir_print_type(char *buf, size_t n, const ir_graph *g, const ir_type *t);

/* ===== broadcast_plan.c ===== */
#define IR_BCAST_MAX_IN 3
typedef struct ir_bcast_plan {
  int rank;
  int64_t dims[KN_MAX_RANK];
  int64_t st[IR_BCAST_MAX_IN][KN_MAX_RANK]; /* element strides, 0 where broadcast */
} ir_bcast_plan;
/* Plans the loops of an n-input broadcasting op writing out_dims. Returns -1,
 * or the index of an input that does not broadcast to the output. */
int ir_bcast_plan_make(int out_rank, const int64_t *out_dims, int n, const int *ranks, const int64_t *const *dims,
                       ir_bcast_plan *p);

/* ===== reduce_plan.c ===== */
typedef struct ir_reduce_plan {
  int64_t outer, red, inner; /* the reduction runs on an [outer, red, inner] view */
  int np;                    /* 0: the input is that view; else gather it first with: */
  int64_t pdim[KN_MAX_RANK], pstride[KN_MAX_RANK];
} ir_reduce_plan;
void ir_reduce_plan_make(int rank, const int64_t *dims, const bool *reduced, ir_reduce_plan *p);

/* ===== buffer_pack.c ===== */
/* Assigns offset[i] to n buffers (size[i] bytes, alive over node indices
 * [begin[i], end[i]]) so that buffers alive at the same time never overlap;
 * size <= 0 gets offset -1. Returns the arena size, or -1 on OOM. */
int64_t ir_pack_buffers(int32_t n, const int64_t *size, const int32_t *begin, const int32_t *end, int64_t *offset);

/* ===== mem_plan.c ===== */
typedef struct ir_mem_stats {
  int64_t workspace_bytes, naive_bytes; /* packed, and the sum of all buffers (no reuse) */
  int32_t views, inplace;               /* outputs sharing their input's buffer: views, in-place ops */
} ir_mem_stats;
/* Plans g's intermediates in one workspace: size[v] bytes for each value
 * that lives there (0: elsewhere), offset[v] its place (-1 if none). With
 * `share`, views share their input's buffer and elementwise ops overwrite a
 * dead operand (see mem_plan.c for when that is legal). Returns the
 * workspace size, or -1 on OOM. */
int64_t ir_plan_memory(const ir_graph *g, const int64_t *size, bool share, int64_t *offset, ir_mem_stats *st);

/* ===== op_params.c: typed op parameters, decoded once with their ONNX defaults ===== */
/* epsilon of the normalizations (LayerNormalization, Batch/Instance/
 * GroupNormalization): default 1e-5 */
float ir_norm_epsilon(const ir_node *n);
/* the `axis` attribute with the op's ONNX default (-1 for the softmax family
 * (1 in their pre-13 form), LayerNormalization, LpNormalization, TopK,
 * OneHot; 1 for Flatten and (De)QuantizeLinear; 0 for the others) */
int64_t ir_op_axis(const ir_node *n);
/* Compress's view of its data x (rank, dims): [outer, extent, inner] around
 * the axis, or, without an axis attribute, the flattened [1, numel, 1] (axis
 * 0 of a 1-d output). False when the axis is out of range. */
typedef struct ir_compress_view {
  int64_t outer, extent, inner;
  int axis;
} ir_compress_view;
bool ir_compress_view_of(const ir_node *n, int rank, const int64_t *dims, ir_compress_view *v);
/* the float parameters p[0..2] of a unary activation (LeakyRelu alpha, Selu
 * alpha and gamma, HardSigmoid alpha and beta, Shrink lambd and bias, ...),
 * in the order the kernel library's unary kernels take them; 0 for others */
void ir_unary_params(const ir_node *n, double p[3]);
/* the kernel library's op code (k_reduce.h's KK_REDUCE_*, k_elementwise.h's
 * KK_EW_*) of a Reduce op / a binary broadcasting op (Mean: KK_EW_ADD, the
 * caller divides); -1 for other ops */
int ir_reduce_kernel_code(ir_op op);
int ir_binary_kernel_code(const ir_node *n);

/* ===== stats.c ===== */
int64_t ir_graph_params(const ir_graph *g);
int64_t ir_node_macs(const ir_graph *g, const ir_node *n);

#endif
