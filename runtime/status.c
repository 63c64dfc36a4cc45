/* status.c — the messages of the DLCRT_ status codes that generated run
 * functions and the runtime return, from DLCRT_STATUS_TABLE (dlcrt.h). */
#include "dlcrt.h"

/* Each macro equals its row of the table. */
#define DLCRT_CHECK_ROW(name, value, message)                                  \
  _Static_assert(name == (value), #name " differs from DLCRT_STATUS_TABLE");
DLCRT_STATUS_TABLE(DLCRT_CHECK_ROW)
#undef DLCRT_CHECK_ROW

const char *dlcrt_status_message(int status) {
  switch (status) {
#define DLCRT_MESSAGE_ROW(name, value, message)                                \
  case value:                                                                  \
    return message;
    DLCRT_STATUS_TABLE(DLCRT_MESSAGE_ROW)
#undef DLCRT_MESSAGE_ROW
  default:
    return "unknown status";
  }
}
