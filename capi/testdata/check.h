/* check.h: a minimal test harness for the C test programs. Each check
 * prints what failed, with the call's status and the library's message, and
 * check_summary prints "N passed, N failed" and returns the exit code. */
#ifndef MLPGO_CHECK_H
#define MLPGO_CHECK_H

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "mlpgo.h"

static atomic_int check_passed, check_failed;

/* check_message returns the calling thread's last error message. */
static const char *check_message(void) {
	static _Thread_local char buf[8192];
	mlpgo_last_error(buf, (int64_t)sizeof buf, NULL);
	return buf;
}

static int check_record(int ok, const char *file, int line, const char *what) {
	if (ok) {
		atomic_fetch_add(&check_passed, 1);
	} else {
		atomic_fetch_add(&check_failed, 1);
		fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
	}
	return ok;
}

/* CHECK(cond): cond holds. */
#define CHECK(cond) check_record(!!(cond), __FILE__, __LINE__, #cond)

/* CHECK_OK(call): call returns MLPGO_OK. */
#define CHECK_OK(call) check_status(__FILE__, __LINE__, #call, (call), MLPGO_OK, NULL)

/* CHECK_ERR(call, want, substr): call returns want and the thread's last
 * error message then contains substr. */
#define CHECK_ERR(call, want, substr) check_status(__FILE__, __LINE__, #call, (call), (want), (substr))

static int check_status(const char *file, int line, const char *what, mlpgo_status got, mlpgo_status want,
                        const char *substr) {
	if (got != want) {
		check_record(0, file, line, what);
		fprintf(stderr, "  returned %s, want %s; last error: %s\n", mlpgo_status_name(got), mlpgo_status_name(want),
		        check_message());
		return 0;
	}
	if (substr != NULL && strstr(check_message(), substr) == NULL) {
		check_record(0, file, line, what);
		fprintf(stderr, "  last error \"%s\" does not contain \"%s\"\n", check_message(), substr);
		return 0;
	}
	return check_record(1, file, line, what);
}

static int check_summary(void) {
	int passed = atomic_load(&check_passed), failed = atomic_load(&check_failed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0 || passed == 0;
}

#endif
