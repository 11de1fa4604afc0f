/* Internal C helpers of libmlpgo (not installed, not part of the ABI).
 * Defined in shim.go's preamble; hidden from the shared library's exports. */
#ifndef MLPGO_SHIM_H
#define MLPGO_SHIM_H

#define MLPGO_BUILDING_LIBRARY 1
#include "include/mlpgo.h"

#define MLPGO_HIDDEN __attribute__((visibility("hidden")))

/* mlpgo_shim_set_error makes msg, a malloc'd string it takes ownership of,
 * the calling thread's last error message, freeing the previous one. */
MLPGO_HIDDEN void mlpgo_shim_set_error(char *msg);

/* mlpgo_shim_error returns the calling thread's last error message, or "". */
MLPGO_HIDDEN const char *mlpgo_shim_error(void);

/* mlpgo_shim_progress calls fn(p, user_data): Go cannot call C function
 * pointers itself. */
MLPGO_HIDDEN int32_t mlpgo_shim_progress(mlpgo_progress_fn fn, const mlpgo_progress *p, void *user_data);

#endif
