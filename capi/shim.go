package main

/*
#include <pthread.h>
#include <stdlib.h>
#include "shim.h"

// The last error message of each thread lives under a pthread key whose
// destructor frees it when the thread exits. A Go function called from C runs
// on the calling C thread, and so do the C functions it calls, so this is the
// caller's thread-local storage, as errno is.
static pthread_key_t mlpgo_error_key;
static pthread_once_t mlpgo_error_once = PTHREAD_ONCE_INIT;
static int mlpgo_error_key_ok;

static void mlpgo_error_key_make(void) {
	mlpgo_error_key_ok = pthread_key_create(&mlpgo_error_key, free) == 0;
}

void mlpgo_shim_set_error(char *msg) {
	pthread_once(&mlpgo_error_once, mlpgo_error_key_make);
	if (!mlpgo_error_key_ok) {
		free(msg);
		return;
	}
	free(pthread_getspecific(mlpgo_error_key));
	if (pthread_setspecific(mlpgo_error_key, msg) != 0) {
		free(msg);
	}
}

const char *mlpgo_shim_error(void) {
	pthread_once(&mlpgo_error_once, mlpgo_error_key_make);
	const char *msg = mlpgo_error_key_ok ? pthread_getspecific(mlpgo_error_key) : NULL;
	return msg != NULL ? msg : "";
}

int32_t mlpgo_shim_progress(mlpgo_progress_fn fn, const mlpgo_progress *p, void *user_data) {
	return fn(p, user_data);
}
*/
import "C"
