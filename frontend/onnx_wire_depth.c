/* onnx_wire_depth.c: bounds how deep a ModelProto's messages nest, before
 * protobuf-c decodes it. protobuf-c's unpack recurses once per nested message,
 * so a small hostile file (If subgraphs inside If subgraphs thousands of
 * levels down, or sequence types of sequence types) overflows the stack
 * before the importer's own subgraph limit is ever checked. This scanner
 * walks the wire format iteratively with an explicit stack, following only
 * the message fields of frontend/onnx.proto that can recurse, and refuses
 * nesting past fixed bounds; it also checks every tag, varint and length, so
 * a truncated or corrupt file gets a clean error naming the byte offset. */
#include "onnx_proto.h"

/* the messages the scan follows (every other field is skipped as bytes) */
typedef enum wire_msg {
  W_MODEL,
  W_GRAPH,
  W_NODE,
  W_ATTR,
  W_VALUE_INFO,
  W_TYPE,
  W_TYPE_ELEM /* TypeProto.Sequence and TypeProto.Optional: elem_type = 1 */
} wire_msg;

#define ONNX_WIRE_MAX_GRAPH_DEPTH 64 /* subgraph levels below the main graph */
#define ONNX_WIRE_MAX_TYPE_DEPTH 64  /* TypeProto levels inside one ValueInfoProto */
/* model, then graph/node/attribute per graph level, then value info and the
 * type chain (TypeProto and its Sequence/Optional per type level) */
#define ONNX_WIRE_MAX_FRAMES (1 + 3 * (ONNX_WIRE_MAX_GRAPH_DEPTH + 1) + 1 + 2 * (ONNX_WIRE_MAX_TYPE_DEPTH + 1))

/* The message type of field `field` (wire type 2) of a `parent`, or -1 when
 * the field is not one that can lead to nesting. Field numbers: onnx.proto. */
static int child_msg(wire_msg parent, uint32_t field) {
  switch (parent) {
  case W_MODEL: return field == 7 ? W_GRAPH : -1;                           /* graph */
  case W_GRAPH: return field == 1 ? W_NODE : field >= 11 && field <= 13 ? W_VALUE_INFO : -1; /* node; input, output, value_info */
  case W_NODE: return field == 5 ? W_ATTR : -1;                             /* attribute */
  case W_ATTR: return field == 6 || field == 11 ? W_GRAPH : -1;             /* g, graphs */
  case W_VALUE_INFO: return field == 2 ? W_TYPE : -1;                       /* type */
  case W_TYPE: return field == 4 || field == 9 ? W_TYPE_ELEM : -1;          /* sequence_type, optional_type */
  case W_TYPE_ELEM: return field == 1 ? W_TYPE : -1;                        /* elem_type */
  }
  return -1;
}

typedef struct wire_frame {
  wire_msg msg;
  size_t end;             /* offset just past the message */
  int graph_depth;        /* subgraph level of the innermost graph (main = 0) */
  int type_depth;         /* TypeProto levels so far */
} wire_frame;

/* Reads a varint of at most maxlen bytes at *pos (below end). */
static bool read_varint(const uint8_t *buf, size_t end, size_t *pos, int maxlen, uint64_t *v) {
  uint64_t x = 0;
  for (int i = 0; i < maxlen; i++) {
    if (*pos >= end) return false;
    uint8_t b = buf[(*pos)++];
    x |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *v = x;
      return true;
    }
  }
  return false;
}

static kn_status corrupt(kn_ctx *ctx, const char *display, const char *what, size_t at) {
  return kn_fail(ctx, KN_EPARSE, "%s: not a valid ONNX model (truncated or corrupt protobuf: %s at byte %zu)", display,
                 what, at);
}

kn_status onnx_wire_check_model(kn_ctx *ctx, const uint8_t *buf, size_t len, const char *display) {
  wire_frame stack[ONNX_WIRE_MAX_FRAMES];
  int top = 0;
  stack[0] = (wire_frame){.msg = W_MODEL, .end = len, .graph_depth = -1, .type_depth = 0};
  size_t pos = 0;
  for (;;) {
    while (top > 0 && pos == stack[top].end) top--; /* messages that end here */
    if (pos == stack[top].end) return KN_OK;       /* the model itself ends */
    const wire_frame *f = &stack[top];
    size_t at = pos;
    uint64_t tag, v;
    /* protobuf-c reads a tag in at most 5 bytes; field numbers are 1..2^29-1 */
    if (!read_varint(buf, f->end, &pos, 5, &tag) || tag > UINT32_MAX) return corrupt(ctx, display, "bad field tag", at);
    uint32_t field = (uint32_t)(tag >> 3);
    if (field == 0) return corrupt(ctx, display, "field number 0", at);
    switch (tag & 7) {
    case 0: /* varint */
      if (!read_varint(buf, f->end, &pos, 10, &v)) return corrupt(ctx, display, "bad varint", at);
      break;
    case 1: /* fixed64 */
      if (f->end - pos < 8) return corrupt(ctx, display, "fixed64 runs past the end", at);
      pos += 8;
      break;
    case 5: /* fixed32 */
      if (f->end - pos < 4) return corrupt(ctx, display, "fixed32 runs past the end", at);
      pos += 4;
      break;
    case 2: { /* length-delimited */
      if (!read_varint(buf, f->end, &pos, 10, &v)) return corrupt(ctx, display, "bad length", at);
      if (v > f->end - pos) return corrupt(ctx, display, "length runs past the end of its message", at);
      int child = child_msg(f->msg, field);
      if (child < 0) {
        pos += (size_t)v;
        break;
      }
      wire_frame c = {.msg = (wire_msg)child, .end = pos + (size_t)v, .graph_depth = f->graph_depth,
                      .type_depth = f->type_depth};
      if (child == W_GRAPH && ++c.graph_depth > ONNX_WIRE_MAX_GRAPH_DEPTH)
        return kn_fail(ctx, KN_ELIMIT, "%s: subgraphs nested deeper than %d levels (at byte %zu)", display,
                       ONNX_WIRE_MAX_GRAPH_DEPTH, at);
      if (child == W_TYPE && ++c.type_depth > ONNX_WIRE_MAX_TYPE_DEPTH)
        return kn_fail(ctx, KN_ELIMIT, "%s: types nested deeper than %d levels (at byte %zu)", display,
                       ONNX_WIRE_MAX_TYPE_DEPTH, at);
      if (top + 1 >= ONNX_WIRE_MAX_FRAMES) /* cannot happen within the two bounds above */
        return kn_fail(ctx, KN_ELIMIT, "%s: messages nested too deeply (at byte %zu)", display, at);
      stack[++top] = c;
      break;
    }
    default: /* groups (3, 4), which protobuf-c does not decode either, and 6, 7 */
      return corrupt(ctx, display, "unsupported wire type", at);
    }
  }
}
