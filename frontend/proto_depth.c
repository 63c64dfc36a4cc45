/* proto_depth.c — how deeply the messages of a protobuf encoding nest,
 * found by walking the wire format with the message descriptors, before
 * protobuf-c unpacks it: protobuf_c_message_unpack recurses once per level
 * with no limit, so a small file of deeply nested subgraph attributes
 * (about 2,900 levels in 29 KB) overflows the stack. The walk recurses only
 * up to the limit, and costs one pass over the bytes. The same walk counts
 * the messages of one type (the nodes, for the memory estimate). */
#include "frontend/onnx_impl.h"

/* A varint at *p (< end); false when it runs off the end or past 10 bytes. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 70 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      return true;
  }
  return false;
}

/* What a walk counts besides the depth: the messages of one type. */
typedef struct census {
  int limit;
  const ProtobufCMessageDescriptor *counted;
  uint64_t count;
} census;

/* The depth of the message at [p, end) of type desc (1: no sub-message);
 * limit + 1 as soon as it exceeds limit; 0 when the encoding is malformed
 * (protobuf-c then refuses it with its own message). */
static int depth_of(const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                    const uint8_t *end, int level, census *c) {
  int limit = c->limit;
  if (level > limit)
    return limit + 1;
  c->count += desc == c->counted;
  int deepest = level;
  while (p < end) {
    uint64_t tag, len;
    if (!get_varint(&p, end, &tag))
      return 0;
    switch (tag & 7) {
    case 0:
      if (!get_varint(&p, end, &len))
        return 0;
      break;
    case 1:
    case 5: {
      size_t n = (tag & 7) == 1 ? 8 : 4;
      if ((size_t)(end - p) < n)
        return 0;
      p += n;
      break;
    }
    case 2: {
      if (!get_varint(&p, end, &len) || len > (uint64_t)(end - p))
        return 0;
      const ProtobufCFieldDescriptor *f =
          tag >> 3 <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(
                                       desc, (unsigned)(tag >> 3))
                                 : NULL;
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
        int d = depth_of(f->descriptor, p, p + len, level + 1, c);
        if (d == 0 || d > limit)
          return d;
        deepest = d > deepest ? d : deepest;
      }
      p += len;
      break;
    }
    default: /* groups (3, 4) and reserved types: protobuf-c refuses them */
      return 0;
    }
  }
  return deepest;
}

int dlc_proto_depth(const ProtobufCMessageDescriptor *desc, const void *bytes,
                    size_t len, int limit) {
  return dlc_proto_census(desc, bytes, len, limit, NULL, NULL);
}

int dlc_proto_census(const ProtobufCMessageDescriptor *desc, const void *bytes,
                     size_t len, int limit,
                     const ProtobufCMessageDescriptor *counted,
                     uint64_t *count) {
  const uint8_t *p = bytes;
  census c = {limit, counted, 0};
  int depth = depth_of(desc, p, p + len, 1, &c);
  if (count)
    *count = c.count;
  return depth;
}
