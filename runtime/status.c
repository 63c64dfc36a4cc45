/* status.c — the messages of the DLCRT_ status codes that generated run
 * functions and the runtime return, from DLCRT_STATUS_TABLE (dlcrt.h). */
#include "dlcrt.h"

const char *dlcrt_status_message(int status) {
  switch (status) {
#define DLCRT_MESSAGE_CASE(code, message)                                      \
  case code:                                                                   \
    return message;
    DLCRT_STATUS_TABLE(DLCRT_MESSAGE_CASE)
#undef DLCRT_MESSAGE_CASE
  default:
    return "unknown status";
  }
}
