/* threads.c: concurrent use of libmlpgo from POSIX threads.
 * Usage: threads DATA_DIR   (a writable folder for model files)
 *
 * - many threads predict on one model at once and get the single-threaded
 *   results bit for bit, while others describe, save and score it;
 * - each thread's last error message is its own;
 * - while mlpgo_fit runs, every other call on the model gets MLPGO_ERR_BUSY
 *   and the progress callback runs on the thread that called mlpgo_fit;
 * - handles created, freed and double-freed from many threads at once, and a
 *   model freed while another thread predicts on it, never crash. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define FEATURES 32
#define CLASSES 10
#define ROWS 200
#define THREADS 8

static float x[ROWS * FEATURES];
static uint8_t y[ROWS];
static int32_t ref_labels[ROWS];
static float ref_proba[ROWS * CLASSES];
static double ref_accuracy;
static const char *data_dir;

/* A barrier from a mutex and a condition variable (macOS has no
 * pthread_barrier_t). */
struct barrier {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n, waiting, round;
};

static void barrier_wait(struct barrier *b) {
	pthread_mutex_lock(&b->mu);
	int round = b->round;
	if (++b->waiting == b->n) {
		b->waiting = 0;
		b->round++;
		pthread_cond_broadcast(&b->cv);
	} else {
		while (round == b->round) pthread_cond_wait(&b->cv, &b->mu);
	}
	pthread_mutex_unlock(&b->mu);
}

static void make_data(void) {
	uint32_t s = 7;
	for (int i = 0; i < ROWS; i++) {
		y[i] = (uint8_t)(i % CLASSES);
		for (int j = 0; j < FEATURES; j++) {
			s = s * 1664525u + 1013904223u;
			x[i * FEATURES + j] = (j % CLASSES == y[i] ? 1.0f : 0.0f) + ((float)(s >> 8) / (float)(1u << 24) - 0.5f);
		}
	}
}

static mlpgo_model new_model(int64_t epochs) {
	mlpgo_config cfg = {.struct_size = sizeof cfg};
	mlpgo_config_init(&cfg);
	cfg.inputs = FEATURES;
	cfg.outputs = CLASSES;
	cfg.hidden[0] = 64;
	cfg.batch_size = 20;
	cfg.eta = 0.01;
	cfg.epochs = epochs;
	mlpgo_model m = 0;
	CHECK_OK(mlpgo_model_create(&cfg, &m));
	return m;
}

/* ---- concurrent predictions -------------------------------------------- */

struct predictor {
	mlpgo_model model;
	int id;
	int mismatches, failures;
	struct barrier *barrier;
	int own_error_ok;
};

static void *predict_loop(void *arg) {
	struct predictor *p = arg;
	static _Thread_local int32_t labels[ROWS];
	static _Thread_local float proba[ROWS * CLASSES];
	for (int it = 0; it < 200; it++) {
		int i = (it * 37 + p->id * 11) % ROWS;
		int32_t one;
		float one_proba[CLASSES];
		double acc;
		if (mlpgo_predict(p->model, x + i * FEATURES, 1, FEATURES, &one, 1) != MLPGO_OK) p->failures++;
		else if (one != ref_labels[i]) p->mismatches++;
		if (mlpgo_predict_proba(p->model, x + i * FEATURES, 1, FEATURES, one_proba, CLASSES) != MLPGO_OK) p->failures++;
		else if (memcmp(one_proba, ref_proba + i * CLASSES, sizeof one_proba) != 0) p->mismatches++;
		if (it % 20 == 0) {
			if (mlpgo_predict(p->model, x, ROWS, FEATURES, labels, ROWS) != MLPGO_OK) p->failures++;
			else if (memcmp(labels, ref_labels, sizeof labels) != 0) p->mismatches++;
			if (mlpgo_predict_proba(p->model, x, ROWS, FEATURES, proba, ROWS * CLASSES) != MLPGO_OK) p->failures++;
			else if (memcmp(proba, ref_proba, sizeof proba) != 0) p->mismatches++;
			mlpgo_samples s = {x, ROWS, FEATURES, y, MLPGO_LABELS_UINT8};
			if (mlpgo_accuracy(p->model, &s, &acc) != MLPGO_OK) p->failures++;
			else if (acc != ref_accuracy) p->mismatches++;
		}
		if (it % 50 == 0 && p->id == 0) {
			mlpgo_model_info info = {.struct_size = sizeof info};
			char path[4096];
			snprintf(path, sizeof path, "%s/threads-%d.safetensors", data_dir, it);
			if (mlpgo_model_describe(p->model, &info) != MLPGO_OK || info.config.inputs != FEATURES) p->failures++;
			if (mlpgo_model_save(p->model, path) != MLPGO_OK) p->failures++;
		}
	}
	/* Thread-local messages: every thread fails differently at the same
	 * time, then reads its own message back. */
	p->own_error_ok = 1;
	for (int round = 0; round < 20; round++) {
		int32_t labels2[2];
		barrier_wait(p->barrier);
		mlpgo_status st = mlpgo_predict(p->model, x, 2 + p->id, FEATURES, labels2, 1);
		barrier_wait(p->barrier);
		char want[64], msg[256];
		snprintf(want, sizeof want, "labels_len 1 < rows %d", 2 + p->id);
		mlpgo_last_error(msg, sizeof msg, NULL);
		if (st != MLPGO_ERR_INVALID_ARGUMENT || strstr(msg, want) == NULL) p->own_error_ok = 0;
	}
	return NULL;
}

static void test_concurrent_predict(mlpgo_model m) {
	CHECK_OK(mlpgo_predict(m, x, ROWS, FEATURES, ref_labels, ROWS));
	CHECK_OK(mlpgo_predict_proba(m, x, ROWS, FEATURES, ref_proba, ROWS * CLASSES));
	mlpgo_samples s = {x, ROWS, FEATURES, y, MLPGO_LABELS_UINT8};
	CHECK_OK(mlpgo_accuracy(m, &s, &ref_accuracy));

	struct barrier b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, THREADS, 0, 0};
	pthread_t th[THREADS];
	struct predictor p[THREADS];
	for (int i = 0; i < THREADS; i++) {
		p[i] = (struct predictor){.model = m, .id = i, .barrier = &b};
		CHECK(pthread_create(&th[i], NULL, predict_loop, &p[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(p[i].failures == 0);
		CHECK(p[i].mismatches == 0);
		CHECK(p[i].own_error_ok);
	}
}

/* ---- mlpgo_fit holds the model ----------------------------------------- */

struct fitter {
	mlpgo_model model;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fitting, checked;
	int callback_thread_ok;
	pthread_t thread;
	mlpgo_status result;
};

static int32_t fit_progress(const mlpgo_progress *pr, void *user_data) {
	(void)pr;
	struct fitter *f = user_data;
	pthread_mutex_lock(&f->mu); /* held by main until f->thread is set */
	if (!pthread_equal(pthread_self(), f->thread)) f->callback_thread_ok = 0;
	if (!f->fitting) {
		f->fitting = 1;
		pthread_cond_broadcast(&f->cv);
		while (!f->checked) pthread_cond_wait(&f->cv, &f->mu);
	}
	pthread_mutex_unlock(&f->mu);
	return 0;
}

static void *fit_thread(void *arg) {
	struct fitter *f = arg;
	mlpgo_samples s = {x, ROWS, FEATURES, y, MLPGO_LABELS_UINT8};
	f->result = mlpgo_fit(f->model, &s, NULL, fit_progress, f, NULL, 0, NULL);
	return NULL;
}

static void test_busy_during_fit(void) {
	struct fitter f = {.model = new_model(3), .callback_thread_ok = 1};
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.cv, NULL);
	pthread_mutex_lock(&f.mu);
	CHECK(pthread_create(&f.thread, NULL, fit_thread, &f) == 0);
	while (!f.fitting) pthread_cond_wait(&f.cv, &f.mu);
	pthread_mutex_unlock(&f.mu);

	int32_t label;
	double acc;
	mlpgo_samples s = {x, ROWS, FEATURES, y, MLPGO_LABELS_UINT8};
	mlpgo_model_info info = {.struct_size = sizeof info};
	char path[4096];
	snprintf(path, sizeof path, "%s/busy.safetensors", data_dir);
	CHECK_ERR(mlpgo_predict(f.model, x, 1, FEATURES, &label, 1), MLPGO_ERR_BUSY, "in use by another call");
	float proba[CLASSES];
	CHECK_ERR(mlpgo_predict_proba(f.model, x, 1, FEATURES, proba, CLASSES), MLPGO_ERR_BUSY, "in use");
	CHECK_ERR(mlpgo_accuracy(f.model, &s, &acc), MLPGO_ERR_BUSY, "in use");
	CHECK_ERR(mlpgo_model_describe(f.model, &info), MLPGO_ERR_BUSY, "in use");
	CHECK_ERR(mlpgo_model_save(f.model, path), MLPGO_ERR_BUSY, "in use");
	CHECK_ERR(mlpgo_fit(f.model, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_BUSY, "in use");
	CHECK_ERR(mlpgo_model_free(f.model), MLPGO_ERR_BUSY, "in use");

	pthread_mutex_lock(&f.mu);
	f.checked = 1;
	pthread_cond_broadcast(&f.cv);
	pthread_mutex_unlock(&f.mu);
	pthread_join(f.thread, NULL);
	CHECK(f.result == MLPGO_OK);
	CHECK(f.callback_thread_ok);
	CHECK_OK(mlpgo_predict(f.model, x, 1, FEATURES, &label, 1));
	CHECK_OK(mlpgo_model_free(f.model));
}

/* ---- handles from many threads ----------------------------------------- */

static void *create_free_loop(void *arg) {
	int *bad = arg;
	for (int i = 0; i < 100; i++) {
		mlpgo_model m = new_model(1);
		int32_t label;
		if (mlpgo_predict(m, x, 1, FEATURES, &label, 1) != MLPGO_OK) (*bad)++;
		if (mlpgo_model_free(m) != MLPGO_OK) (*bad)++;
		if (mlpgo_model_free(m) != MLPGO_ERR_INVALID_HANDLE) (*bad)++;
	}
	return NULL;
}

struct racer {
	mlpgo_model model;
	struct barrier *barrier;
	mlpgo_status result;
};

static void *free_racer(void *arg) {
	struct racer *r = arg;
	barrier_wait(r->barrier);
	r->result = mlpgo_model_free(r->model);
	return NULL;
}

struct survivor {
	mlpgo_model model;
	int calls, bad;
};

static void *predict_until_freed(void *arg) {
	struct survivor *s = arg;
	for (;;) {
		int32_t label;
		mlpgo_status st = mlpgo_predict(s->model, x, 1, FEATURES, &label, 1);
		s->calls++;
		if (st == MLPGO_ERR_INVALID_HANDLE) return NULL;
		if (st != MLPGO_OK && st != MLPGO_ERR_BUSY) s->bad++;
	}
}

static void test_handles_from_threads(void) {
	pthread_t th[THREADS];
	int bad[THREADS] = {0};
	for (int i = 0; i < THREADS; i++) CHECK(pthread_create(&th[i], NULL, create_free_loop, &bad[i]) == 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		CHECK(bad[i] == 0);
	}

	/* Two threads free one model at the same moment: one wins. */
	int one_winner = 1;
	for (int round = 0; round < 50; round++) {
		struct barrier b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 2, 0, 0};
		struct racer r[2];
		mlpgo_model m = new_model(1);
		for (int i = 0; i < 2; i++) {
			r[i] = (struct racer){.model = m, .barrier = &b};
			pthread_create(&th[i], NULL, free_racer, &r[i]);
		}
		pthread_join(th[0], NULL);
		pthread_join(th[1], NULL);
		int ok = (r[0].result == MLPGO_OK) + (r[1].result == MLPGO_OK);
		int gone = (r[0].result == MLPGO_ERR_INVALID_HANDLE) + (r[1].result == MLPGO_ERR_INVALID_HANDLE);
		if (ok != 1 || gone != 1) one_winner = 0;
	}
	CHECK(one_winner);

	/* Freeing a model other threads are predicting on: free reports BUSY
	 * until it gets the model, then their calls see an invalid handle. */
	struct survivor s[4];
	mlpgo_model m = new_model(1);
	for (int i = 0; i < 4; i++) {
		s[i] = (struct survivor){.model = m};
		pthread_create(&th[i], NULL, predict_until_freed, &s[i]);
	}
	mlpgo_status st;
	long tries = 0;
	while ((st = mlpgo_model_free(m)) == MLPGO_ERR_BUSY && ++tries < 100000000) {
	}
	CHECK(st == MLPGO_OK);
	if (st != MLPGO_OK) exit(check_summary()); /* the predictors would never stop */
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(s[i].bad == 0 && s[i].calls > 0);
	}
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	make_data();
	mlpgo_model m = new_model(2);
	mlpgo_samples s = {x, ROWS, FEATURES, y, MLPGO_LABELS_UINT8};
	CHECK_OK(mlpgo_fit(m, &s, NULL, NULL, NULL, NULL, 0, NULL));
	test_concurrent_predict(m);
	CHECK_OK(mlpgo_model_free(m));
	test_busy_during_fit();
	test_handles_from_threads();
	return check_summary();
}
