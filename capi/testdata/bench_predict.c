/* bench_predict.c: latency of calls through the C ABI on a warm model.
 * Usage: bench_predict OP N
 * Times N calls of OP on the seed's 784-100-10 network (untrained: the time
 * does not depend on the weights) after a warm-up, and prints the mean
 * nanoseconds per call. OP is one of
 *   abi_version    the cost of a call into the library and back
 *   predict        mlpgo_predict of one row
 *   predict_proba  mlpgo_predict_proba of one row
 *   predict100     mlpgo_predict of 100 rows (per call, not per row)
 *   predict_tiny   mlpgo_predict of one row on a 4-8-2 network, where the
 *                  arithmetic is negligible: the ABI's own cost per call */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlpgo.h"

#define INPUTS 784
#define CLASSES 10
#define ROWS 100

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, mlpgo_status st) {
	char msg[1024];
	mlpgo_last_error(msg, sizeof msg, NULL);
	fprintf(stderr, "%s: %s: %s\n", what, mlpgo_status_name(st), msg);
	exit(1);
}

static float x[ROWS * INPUTS], proba[ROWS * CLASSES];
static int32_t labels[ROWS];

static mlpgo_status run(const char *op, mlpgo_model m) {
	if (strcmp(op, "abi_version") == 0) return mlpgo_abi_version() == MLPGO_ABI_VERSION ? MLPGO_OK : MLPGO_ERR_ABI;
	if (strcmp(op, "predict") == 0) return mlpgo_predict(m, x, 1, INPUTS, labels, 1);
	if (strcmp(op, "predict_proba") == 0) return mlpgo_predict_proba(m, x, 1, INPUTS, proba, CLASSES);
	if (strcmp(op, "predict100") == 0) return mlpgo_predict(m, x, ROWS, INPUTS, labels, ROWS);
	if (strcmp(op, "predict_tiny") == 0) return mlpgo_predict(m, x, 1, 4, labels, 1);
	fprintf(stderr, "unknown op %s\n", op);
	exit(2);
}

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s OP N\n", argv[0]);
		return 2;
	}
	const char *op = argv[1];
	long n = atol(argv[2]);
	uint32_t s = 3;
	for (int i = 0; i < ROWS * INPUTS; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = (float)(s >> 8) / (float)(1u << 23) - 1.0f;
	}
	mlpgo_config cfg = {.struct_size = sizeof cfg};
	mlpgo_status st = mlpgo_config_init(&cfg);
	if (st != MLPGO_OK) die("mlpgo_config_init", st);
	cfg.inputs = INPUTS;
	cfg.outputs = CLASSES;
	if (strcmp(op, "predict_tiny") == 0) {
		cfg.inputs = 4;
		cfg.hidden[0] = 8;
		cfg.outputs = 2;
	}
	mlpgo_model m;
	if ((st = mlpgo_model_create(&cfg, &m)) != MLPGO_OK) die("mlpgo_model_create", st);
	for (int i = 0; i < 2000; i++) {
		if ((st = run(op, m)) != MLPGO_OK) die(op, st);
	}
	double start = now_ns();
	for (long i = 0; i < n; i++) run(op, m);
	double elapsed = now_ns() - start;
	printf("%.1f\n", elapsed / (double)n);
	mlpgo_model_free(m);
	return 0;
}
