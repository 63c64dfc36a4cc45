/* base64.c — RFC 4648 base64 (standard alphabet, '=' padding), the encoding
 * of a tensor's `data_base64`. The decoder is strict (canonical text only,
 * no whitespace) and never writes past the caller's buffer. */
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *dlc_base64_encode(const void *data, size_t len) {
  const unsigned char *p = data;
  size_t out_len = (len + 2) / 3 * 4;
  char *out = malloc(out_len + 1);
  DLC_ASSERT(out != NULL);
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)p[i + 1] << 8;
    if (i + 2 < len)
      v |= p[i + 2];
    out[o++] = alphabet[v >> 18];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
  }
  out[o] = 0;
  return out;
}

static int sextet(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

int64_t dlc_base64_decoded_size(const char *text, size_t len) {
  if (len % 4 != 0)
    return -1;
  if (len == 0)
    return 0;
  size_t pad = text[len - 1] == '=' ? (text[len - 2] == '=' ? 2 : 1) : 0;
  return (int64_t)(len / 4 * 3 - pad);
}

/* Quads of four sextets; '=' only as the last one or two characters. */
bool dlc_base64_decode(const char *text, size_t len, void *out, size_t cap,
                       size_t *out_len, size_t *bad_at) {
  int64_t need = dlc_base64_decoded_size(text, len);
  *bad_at = len;
  if (need < 0 || (uint64_t)need > cap)
    return false;
  unsigned char *o = out;
  size_t n = 0;
  for (size_t i = 0; i < len; i += 4) {
    bool last = i + 4 == len;
    int s[4];
    for (int k = 0; k < 4; k++) {
      char c = text[i + k];
      bool pad_ok = last && c == '=' && (k == 3 || (k == 2 && text[i + 3] == '='));
      s[k] = pad_ok ? 0 : sextet(c);
      if (s[k] < 0) {
        *bad_at = i + (size_t)k;
        return false;
      }
    }
    uint32_t v = (uint32_t)s[0] << 18 | (uint32_t)s[1] << 12 |
                 (uint32_t)s[2] << 6 | (uint32_t)s[3];
    unsigned char bytes[3] = {(unsigned char)(v >> 16),
                              (unsigned char)(v >> 8), (unsigned char)v};
    for (int k = 0; k < 3 && n < (size_t)need; k++)
      o[n++] = bytes[k];
  }
  *out_len = n;
  return true;
}
