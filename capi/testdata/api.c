/* api.c: every function of mlpgo.h and every error path, single-threaded.
 * Usage: api DATA_DIR [MNIST_DIR]
 * DATA_DIR holds the tiny MNIST-layout splits the Go test writes (tiny,
 * tiny10, badlabel) and receives the model files this program writes.
 * MNIST_DIR, if given, holds verified MNIST files for mlpgo_mnist_fetch. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define FEATURES 8
#define CLASSES 3

static const char *data_dir;

static char *path_in(const char *name) {
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", data_dir, name);
	return buf;
}

/* blobs fills x (n x FEATURES) and y with CLASSES separable clusters: class
 * k has feature k at 1 and small noise elsewhere. */
static void blobs(float *x, uint8_t *y, int32_t *y32, int64_t n, uint32_t seed) {
	for (int64_t i = 0; i < n; i++) {
		int k = (int)(i % CLASSES);
		y[i] = (uint8_t)k;
		if (y32 != NULL) y32[i] = k;
		for (int j = 0; j < FEATURES; j++) {
			seed = seed * 1664525u + 1013904223u;
			float noise = ((float)(seed >> 8) / (float)(1u << 24) - 0.5f) * 0.4f;
			x[i * FEATURES + j] = (j == k ? 1.0f : 0.0f) + noise;
		}
	}
}

static mlpgo_config small_config(void) {
	mlpgo_config cfg = {.struct_size = sizeof cfg};
	mlpgo_config_init(&cfg);
	cfg.inputs = FEATURES;
	cfg.outputs = CLASSES;
	cfg.hidden[0] = 16;
	cfg.batch_size = 10;
	cfg.eta = 0.05;
	cfg.epochs = 20;
	cfg.l2 = 0;
	return cfg;
}

static void test_versions_and_errors(void) {
	CHECK(mlpgo_abi_version() == MLPGO_ABI_VERSION);
	CHECK(strncmp(mlpgo_version(), "mlpgo ", 6) == 0);
	CHECK(strcmp(mlpgo_status_name(MLPGO_OK), "MLPGO_OK") == 0);
	CHECK(strcmp(mlpgo_status_name(MLPGO_ERR_BUSY), "MLPGO_ERR_BUSY") == 0);
	CHECK(strcmp(mlpgo_status_name(MLPGO_ERR_INTERNAL), "MLPGO_ERR_INTERNAL") == 0);
	CHECK(strcmp(mlpgo_status_name(12345), "MLPGO_UNKNOWN_STATUS") == 0);
	CHECK(strcmp(mlpgo_status_name(-1), "MLPGO_UNKNOWN_STATUS") == 0);

	/* No failure yet on this thread: an empty message. */
	int64_t needed = -1;
	char buf[64];
	CHECK_OK(mlpgo_last_error(NULL, 0, &needed));
	CHECK(needed == 1);
	CHECK_OK(mlpgo_last_error(buf, sizeof buf, NULL));
	CHECK(buf[0] == '\0');

	/* A failure sets a message that names the function. */
	CHECK_ERR(mlpgo_config_init(NULL), MLPGO_ERR_INVALID_ARGUMENT, "mlpgo_config_init: cfg is NULL");
	char full[256];
	CHECK_OK(mlpgo_last_error(full, sizeof full, &needed));
	CHECK(needed == (int64_t)strlen(full) + 1);
	CHECK(strcmp(full, "mlpgo_config_init: cfg is NULL") == 0);

	/* Asking for the size, a buffer too small, bad arguments. */
	CHECK(mlpgo_last_error(NULL, 0, &needed) == MLPGO_ERR_BUFFER_TOO_SMALL);
	CHECK(needed == (int64_t)strlen(full) + 1);
	char small[6] = "zzzzz";
	CHECK(mlpgo_last_error(small, sizeof small, &needed) == MLPGO_ERR_BUFFER_TOO_SMALL);
	CHECK(strcmp(small, "mlpgo") == 0);
	CHECK(mlpgo_last_error(small, 1, NULL) == MLPGO_ERR_BUFFER_TOO_SMALL);
	CHECK(small[0] == '\0');
	CHECK(mlpgo_last_error(NULL, 5, NULL) == MLPGO_ERR_INVALID_ARGUMENT);
	CHECK(mlpgo_last_error(buf, -1, NULL) == MLPGO_ERR_INVALID_ARGUMENT);
	/* ...which leave the message alone. */
	CHECK_OK(mlpgo_last_error(full, sizeof full, NULL));
	CHECK(strcmp(full, "mlpgo_config_init: cfg is NULL") == 0);
	/* Successful calls leave it too. */
	CHECK(mlpgo_abi_version() == MLPGO_ABI_VERSION);
	mlpgo_config cfg = {.struct_size = sizeof cfg};
	CHECK_OK(mlpgo_config_init(&cfg));
	CHECK(strcmp(check_message(), "mlpgo_config_init: cfg is NULL") == 0);
}

static void test_config(void) {
	mlpgo_config cfg;
	memset(&cfg, 0x55, sizeof cfg);
	cfg.struct_size = sizeof cfg;
	CHECK_OK(mlpgo_config_init(&cfg));
	/* The seed's values. */
	CHECK(cfg.struct_size == (int64_t)sizeof cfg);
	CHECK(cfg.inputs == 0 && cfg.outputs == 0);
	CHECK(cfg.n_hidden == 1 && cfg.hidden[0] == 100 && cfg.hidden[1] == 0);
	CHECK(cfg.activation == MLPGO_ACTIVATION_SIGMOID);
	CHECK(cfg.output == MLPGO_OUTPUT_SIGMOID);
	CHECK(cfg.init == MLPGO_INIT_NORMAL && cfg.init_scale == 0.1);
	CHECK(cfg.optimizer == MLPGO_OPTIMIZER_SGD);
	CHECK(cfg.eta == 0.0005 && cfg.l2 == 0.01);
	CHECK(cfg.momentum == 0.9 && cfg.beta1 == 0.9 && cfg.beta2 == 0.999 && cfg.epsilon == 1e-8);
	CHECK(cfg.epochs == 200 && cfg.batch_size == 100 && cfg.patience == 0);
	CHECK(cfg.seed == 1 && cfg.shuffle == 1);

	cfg.struct_size = sizeof cfg - 8;
	CHECK_ERR(mlpgo_config_init(&cfg), MLPGO_ERR_ABI, "mlpgo_config.struct_size is");
	cfg.struct_size = 0;
	CHECK_ERR(mlpgo_config_init(&cfg), MLPGO_ERR_ABI, "struct_size is 0");
}

/* Config edits for test_create_errors, one function each. */
static void e_size(mlpgo_config *c) { c->struct_size = 8; }
static void e_inputs(mlpgo_config *c) { c->inputs = 0; }
static void e_inputs_neg(mlpgo_config *c) { c->inputs = -5; }
static void e_outputs(mlpgo_config *c) { c->outputs = 1; }
static void e_outputs_big(mlpgo_config *c) { c->outputs = 257; }
static void e_nhidden0(mlpgo_config *c) { c->n_hidden = 0; }
static void e_nhidden17(mlpgo_config *c) { c->n_hidden = MLPGO_MAX_HIDDEN + 1; }
static void e_hidden0(mlpgo_config *c) { c->hidden[0] = 0; }
static void e_hidden2(mlpgo_config *c) { c->n_hidden = 2; c->hidden[1] = -3; }
static void e_huge(mlpgo_config *c) { c->inputs = 1 << 20; c->hidden[0] = 1 << 20; }
static void e_activation(mlpgo_config *c) { c->activation = 0; }
static void e_activation99(mlpgo_config *c) { c->activation = 99; }
static void e_output(mlpgo_config *c) { c->output = 0; }
static void e_init(mlpgo_config *c) { c->init = 7; }
static void e_optimizer(mlpgo_config *c) { c->optimizer = 0; }
static void e_eta0(mlpgo_config *c) { c->eta = 0; }
static void e_eta_neg(mlpgo_config *c) { c->eta = -0.1; }
static void e_eta_nan(mlpgo_config *c) { c->eta = NAN; }
static void e_eta_inf(mlpgo_config *c) { c->eta = INFINITY; }
static void e_l2_neg(mlpgo_config *c) { c->l2 = -1; }
static void e_momentum(mlpgo_config *c) { c->momentum = 1.5; }
static void e_beta2(mlpgo_config *c) { c->beta2 = 1; }
static void e_epsilon(mlpgo_config *c) { c->epsilon = 0; }
static void e_init_scale(mlpgo_config *c) { c->init_scale = -1; }
static void e_epochs(mlpgo_config *c) { c->epochs = 0; }
static void e_batch(mlpgo_config *c) { c->batch_size = -1; }
static void e_patience(mlpgo_config *c) { c->patience = -1; }

static void test_create_errors(void) {
	struct {
		void (*edit)(mlpgo_config *);
		mlpgo_status want;
		const char *substr;
	} cases[] = {
		{e_size, MLPGO_ERR_ABI, "struct_size is 8"},
		{e_inputs, MLPGO_ERR_INVALID_ARGUMENT, "inputs is 0"},
		{e_inputs_neg, MLPGO_ERR_INVALID_ARGUMENT, "inputs is -5"},
		{e_outputs, MLPGO_ERR_INVALID_ARGUMENT, "outputs is 1"},
		{e_outputs_big, MLPGO_ERR_INVALID_ARGUMENT, "outputs is 257"},
		{e_nhidden0, MLPGO_ERR_INVALID_ARGUMENT, "n_hidden is 0"},
		{e_nhidden17, MLPGO_ERR_INVALID_ARGUMENT, "n_hidden is 17"},
		{e_hidden0, MLPGO_ERR_INVALID_ARGUMENT, "hidden[0] is 0"},
		{e_hidden2, MLPGO_ERR_INVALID_ARGUMENT, "hidden[1] is -3"},
		{e_huge, MLPGO_ERR_INVALID_ARGUMENT, "weights"},
		{e_activation, MLPGO_ERR_INVALID_ARGUMENT, "unknown activation 0"},
		{e_activation99, MLPGO_ERR_INVALID_ARGUMENT, "unknown activation 99"},
		{e_output, MLPGO_ERR_INVALID_ARGUMENT, "unknown output 0"},
		{e_init, MLPGO_ERR_INVALID_ARGUMENT, "unknown init 7"},
		{e_optimizer, MLPGO_ERR_INVALID_ARGUMENT, "unknown optimizer 0"},
		{e_eta0, MLPGO_ERR_INVALID_ARGUMENT, "eta is 0"},
		{e_eta_neg, MLPGO_ERR_INVALID_ARGUMENT, "eta"},
		{e_eta_nan, MLPGO_ERR_INVALID_ARGUMENT, "eta"},
		{e_eta_inf, MLPGO_ERR_INVALID_ARGUMENT, "eta"},
		{e_l2_neg, MLPGO_ERR_INVALID_ARGUMENT, "l2"},
		{e_momentum, MLPGO_ERR_INVALID_ARGUMENT, "momentum"},
		{e_beta2, MLPGO_ERR_INVALID_ARGUMENT, "beta2"},
		{e_epsilon, MLPGO_ERR_INVALID_ARGUMENT, "epsilon is 0"},
		{e_init_scale, MLPGO_ERR_INVALID_ARGUMENT, "init scale"},
		{e_epochs, MLPGO_ERR_INVALID_ARGUMENT, "epochs is 0"},
		{e_batch, MLPGO_ERR_INVALID_ARGUMENT, "batch_size -1"},
		{e_patience, MLPGO_ERR_INVALID_ARGUMENT, "patience is -1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mlpgo_config cfg = small_config();
		cases[i].edit(&cfg);
		mlpgo_model m = 42;
		if (!CHECK_ERR(mlpgo_model_create(&cfg, &m), cases[i].want, cases[i].substr)) {
			fprintf(stderr, "  (case %zu)\n", i);
		}
		CHECK(m == 42); /* untouched on failure */
	}
	mlpgo_config cfg = small_config();
	mlpgo_model m;
	CHECK_ERR(mlpgo_model_create(NULL, &m), MLPGO_ERR_INVALID_ARGUMENT, "cfg is NULL");
	CHECK_ERR(mlpgo_model_create(&cfg, NULL), MLPGO_ERR_INVALID_ARGUMENT, "model is NULL");
}

static void test_handles(void) {
	mlpgo_config cfg = small_config();
	mlpgo_model m = 0;
	CHECK_OK(mlpgo_model_create(&cfg, &m));
	CHECK(m != 0);
	mlpgo_model_info info = {.struct_size = sizeof info};
	CHECK_OK(mlpgo_model_describe(m, &info));
	CHECK(info.config.struct_size == (int64_t)sizeof(mlpgo_config));
	CHECK(info.config.inputs == FEATURES && info.config.outputs == CLASSES);
	CHECK(info.config.n_hidden == 1 && info.config.hidden[0] == 16);
	CHECK(info.config.eta == 0.05 && info.config.l2 == 0 && info.config.epochs == 20);
	CHECK(info.epochs_trained == 0);
	info.struct_size = 3;
	CHECK_ERR(mlpgo_model_describe(m, &info), MLPGO_ERR_ABI, "mlpgo_model_info.struct_size is 3");
	CHECK_ERR(mlpgo_model_describe(m, NULL), MLPGO_ERR_INVALID_ARGUMENT, "info is NULL");

	float x[FEATURES] = {0};
	int32_t label;
	CHECK_OK(mlpgo_model_free(m));
	/* Freed, double-freed, zero and made-up handles are errors, not crashes. */
	info.struct_size = sizeof info;
	CHECK_ERR(mlpgo_model_free(m), MLPGO_ERR_INVALID_HANDLE, "not a live model");
	CHECK_ERR(mlpgo_predict(m, x, 1, FEATURES, &label, 1), MLPGO_ERR_INVALID_HANDLE, "mlpgo_predict: model handle");
	CHECK_ERR(mlpgo_model_describe(m, &info), MLPGO_ERR_INVALID_HANDLE, "not a live model");
	CHECK_ERR(mlpgo_predict(0, x, 1, FEATURES, &label, 1), MLPGO_ERR_INVALID_HANDLE, "model handle is 0");
	CHECK_ERR(mlpgo_predict(0xdeadbeefcafe, x, 1, FEATURES, &label, 1), MLPGO_ERR_INVALID_HANDLE, "0xdeadbeefcafe");
	CHECK_ERR(mlpgo_model_save(UINT64_MAX, path_in("x.safetensors")), MLPGO_ERR_INVALID_HANDLE, "not a live model");
	CHECK_OK(mlpgo_model_free(0));

	int32_t prev = -1;
	CHECK_OK(mlpgo_set_threads(1, &prev));
	CHECK(prev >= 0);
	int32_t now = -1;
	CHECK_OK(mlpgo_set_threads(prev, &now));
	CHECK(now == 1);
	CHECK_OK(mlpgo_set_threads(0, NULL));
	CHECK_ERR(mlpgo_set_threads(-2, NULL), MLPGO_ERR_INVALID_ARGUMENT, "threads is -2");
}

/* progress_state is what the test callbacks record. */
struct progress_state {
	mlpgo_model model;
	int64_t calls, epoch_reports, last_epoch, batches;
	int64_t stop_after_epoch; /* stop at the end of this epoch; 0: never */
	int bad;                  /* a report that made no sense */
	mlpgo_status busy_predict, busy_free, busy_fit;
};

static int32_t on_progress(const mlpgo_progress *p, void *user_data) {
	struct progress_state *s = user_data;
	s->calls++;
	s->batches = p->batches;
	if (p->epoch < 1 || p->epoch > p->epochs || p->batch < 1 || p->batch > p->batches) s->bad = 1;
	if (p->epoch_done) {
		s->epoch_reports++;
		if (p->stats.epoch != p->epoch || p->epoch != s->last_epoch + 1 || p->batch != p->batches) s->bad = 1;
		if (!(p->stats.train_accuracy >= 0 && p->stats.train_accuracy <= 1) || !(p->stats.cost > 0)) s->bad = 1;
		s->last_epoch = p->epoch;
	}
	if (s->calls == 1) {
		/* The model is held by mlpgo_fit: everything else on it is busy. */
		float x[FEATURES] = {0};
		int32_t label;
		s->busy_predict = mlpgo_predict(s->model, x, 1, FEATURES, &label, 1);
		s->busy_free = mlpgo_model_free(s->model);
		mlpgo_samples none = {x, 1, FEATURES, &label, MLPGO_LABELS_INT32};
		s->busy_fit = mlpgo_fit(s->model, &none, NULL, NULL, NULL, NULL, 0, NULL);
	}
	return p->epoch_done && p->epoch == s->stop_after_epoch;
}

static int same_floats(const float *a, const float *b, int64_t n) {
	return memcmp(a, b, (size_t)n * sizeof *a) == 0;
}

static void test_fit_predict(void) {
	enum { N = 300, NV = 60 };
	static float x[N * FEATURES], xv[NV * FEATURES];
	static uint8_t y[N], yv[NV];
	static int32_t y32[N];
	blobs(x, y, y32, N, 1);
	blobs(xv, yv, NULL, NV, 2);
	mlpgo_samples train = {x, N, FEATURES, y, MLPGO_LABELS_UINT8};
	mlpgo_samples train32 = {x, N, FEATURES, y32, MLPGO_LABELS_INT32};
	mlpgo_samples valid = {xv, NV, FEATURES, yv, MLPGO_LABELS_UINT8};

	mlpgo_config cfg = small_config();
	mlpgo_model m, m32;
	CHECK_OK(mlpgo_model_create(&cfg, &m));
	CHECK_OK(mlpgo_model_create(&cfg, &m32));

	struct progress_state ps = {.model = m};
	mlpgo_epoch hist[32];
	int64_t hlen = -1;
	CHECK_OK(mlpgo_fit(m, &train, &valid, on_progress, &ps, hist, 32, &hlen));
	CHECK(hlen == 20);
	CHECK(ps.epoch_reports == 20 && ps.last_epoch == 20 && !ps.bad);
	CHECK(ps.batches == N / 10);
	CHECK(ps.calls == 20 * (N / 10) + 20);
	CHECK(ps.busy_predict == MLPGO_ERR_BUSY && ps.busy_free == MLPGO_ERR_BUSY && ps.busy_fit == MLPGO_ERR_BUSY);
	CHECK(hist[0].epoch == 1 && hist[19].epoch == 20);
	CHECK(hist[19].cost < hist[0].cost);
	CHECK(hist[19].train_accuracy > 0.95 && hist[19].valid_accuracy > 0.95);
	CHECK(hist[19].seconds >= 0);

	/* int32 labels train the same network bit for bit; no history wanted. */
	CHECK_OK(mlpgo_fit(m32, &train32, &valid, NULL, NULL, NULL, 0, NULL));
	/* Fit again once all epochs are done: nothing more to do. */
	hlen = -1;
	CHECK_OK(mlpgo_fit(m32, &train32, NULL, NULL, NULL, hist, 2, &hlen));
	CHECK(hlen == 20 && hist[1].epoch == 2);

	/* Predictions: labels, probabilities, accuracy agree. */
	static int32_t labels[NV], labels32[NV];
	static float proba[NV * CLASSES], proba32[NV * CLASSES];
	CHECK_OK(mlpgo_predict(m, xv, NV, FEATURES, labels, NV));
	CHECK_OK(mlpgo_predict(m32, xv, NV, FEATURES, labels32, NV));
	CHECK_OK(mlpgo_predict_proba(m, xv, NV, FEATURES, proba, NV * CLASSES));
	CHECK_OK(mlpgo_predict_proba(m32, xv, NV, FEATURES, proba32, NV * CLASSES));
	CHECK(same_floats(proba, proba32, NV * CLASSES));
	int correct = 0, argmax_ok = 1, sigmoid_ok = 1;
	for (int i = 0; i < NV; i++) {
		int best = 0;
		for (int k = 0; k < CLASSES; k++) {
			float p = proba[i * CLASSES + k];
			if (!(p > 0 && p < 1)) sigmoid_ok = 0;
			if (p > proba[i * CLASSES + best]) best = k;
		}
		if (best != labels[i]) argmax_ok = 0;
		correct += labels[i] == yv[i];
	}
	CHECK(argmax_ok && sigmoid_ok);
	double acc = -1;
	CHECK_OK(mlpgo_accuracy(m, &valid, &acc));
	CHECK(acc == (double)correct / NV);
	CHECK(acc == hist[19].valid_accuracy);
	CHECK(acc > 0.95);
	/* One row at a time gives the same labels; zero rows are fine. */
	int32_t one;
	CHECK_OK(mlpgo_predict(m, xv + 7 * FEATURES, 1, FEATURES, &one, 1));
	CHECK(one == labels[7]);
	CHECK_OK(mlpgo_predict(m, NULL, 0, FEATURES, NULL, 0));
	CHECK_OK(mlpgo_predict_proba(m, NULL, 0, FEATURES, NULL, 0));
	/* More rows than one internal chunk (256). */
	static int32_t many[N];
	CHECK_OK(mlpgo_predict(m, x, N, FEATURES, many, N));
	int agree = 1;
	for (int i = 0; i < N; i++) {
		int32_t l;
		mlpgo_predict(m, x + i * FEATURES, 1, FEATURES, &l, 1);
		if (l != many[i]) agree = 0;
	}
	CHECK(agree);

	/* predict / predict_proba / accuracy argument errors. */
	float bad[2 * FEATURES];
	memcpy(bad, xv, sizeof bad);
	bad[FEATURES + 3] = NAN;
	CHECK_ERR(mlpgo_predict(m, bad, 2, FEATURES, labels, 2), MLPGO_ERR_INVALID_ARGUMENT, "row 1, column 3 is NaN");
	bad[FEATURES + 3] = -INFINITY;
	CHECK_ERR(mlpgo_predict_proba(m, bad, 2, FEATURES, proba, 6), MLPGO_ERR_INVALID_ARGUMENT, "-Inf");
	CHECK_ERR(mlpgo_predict(m, NULL, 2, FEATURES, labels, 2), MLPGO_ERR_INVALID_ARGUMENT, "x is NULL");
	CHECK_ERR(mlpgo_predict(m, xv, -1, FEATURES, labels, 2), MLPGO_ERR_INVALID_ARGUMENT, "sizes must be >= 0");
	CHECK_ERR(mlpgo_predict(m, xv, 2, -8, labels, 2), MLPGO_ERR_INVALID_ARGUMENT, "sizes must be >= 0");
	CHECK_ERR(mlpgo_predict(m, xv, INT64_MAX / 2, FEATURES, labels, INT64_MAX), MLPGO_ERR_INVALID_ARGUMENT, "too large");
	CHECK_ERR(mlpgo_predict(m, xv, 2, FEATURES - 1, labels, 2), MLPGO_ERR_INVALID_ARGUMENT, "7 columns, the model has 8 inputs");
	CHECK_ERR(mlpgo_predict(m, xv, 2, FEATURES, NULL, 2), MLPGO_ERR_INVALID_ARGUMENT, "labels is NULL");
	CHECK_ERR(mlpgo_predict(m, xv, 2, FEATURES, labels, 1), MLPGO_ERR_INVALID_ARGUMENT, "labels_len 1 < rows 2");
	CHECK_ERR(mlpgo_predict_proba(m, xv, 2, FEATURES, proba, 5), MLPGO_ERR_INVALID_ARGUMENT, "proba_len 5 < rows 2 * outputs 3");
	CHECK_ERR(mlpgo_predict_proba(m, xv, 2, FEATURES, NULL, 6), MLPGO_ERR_INVALID_ARGUMENT, "proba is NULL");
	CHECK_ERR(mlpgo_predict_proba(m, xv, 2, 3, proba, 6), MLPGO_ERR_INVALID_ARGUMENT, "3 columns");
	CHECK_ERR(mlpgo_accuracy(m, NULL, &acc), MLPGO_ERR_INVALID_ARGUMENT, "data is NULL");
	CHECK_ERR(mlpgo_accuracy(m, &valid, NULL), MLPGO_ERR_INVALID_ARGUMENT, "accuracy is NULL");
	int32_t wrong[2] = {0, 3};
	mlpgo_samples two = {xv, 2, FEATURES, wrong, MLPGO_LABELS_INT32};
	CHECK_ERR(mlpgo_accuracy(m, &two, &acc), MLPGO_ERR_INVALID_ARGUMENT, "data.labels[1] is 3, want a class in [0, 3)");

	/* fit argument errors. */
	mlpgo_model f;
	CHECK_OK(mlpgo_model_create(&cfg, &f));
	mlpgo_samples s = train;
	CHECK_ERR(mlpgo_fit(f, NULL, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "train is NULL");
	s.x = NULL;
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "train.x is NULL");
	s = train;
	s.rows = -3;
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "sizes must be >= 0");
	s = train;
	s.cols = FEATURES / 2;
	s.rows = N * 2;
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "4 columns, the network has 8 inputs");
	s = train;
	s.labels = NULL;
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "train.labels is NULL");
	s = train;
	s.label_type = 0;
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "train.label_type is 0");
	y[5] = CLASSES;
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "label 3 of row 5");
	y[5] = 5 % CLASSES;
	y32[9] = -1;
	CHECK_ERR(mlpgo_fit(f, &train32, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "train.labels[9] is -1");
	y32[9] = 9 % CLASSES;
	float saved = x[4 * FEATURES + 1];
	x[4 * FEATURES + 1] = NAN;
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "NaN");
	x[4 * FEATURES + 1] = saved;
	s = valid;
	s.cols = 2;
	s.rows = NV * FEATURES / 2;
	CHECK_ERR(mlpgo_fit(f, &train, &s, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "validation data");
	s = train;
	s.rows = 5; /* fewer than a minibatch of 10 */
	CHECK_ERR(mlpgo_fit(f, &s, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "fewer than one minibatch");
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 4, NULL), MLPGO_ERR_INVALID_ARGUMENT, "history_cap 4");
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, hist, -1, NULL), MLPGO_ERR_INVALID_ARGUMENT, "history_cap -1");
	/* A history_cap beyond the buffer is the caller's promise; a huge one
	 * must not crash when fewer epochs exist. */
	mlpgo_model_info info = {.struct_size = sizeof info};
	CHECK_OK(mlpgo_model_describe(f, &info));
	CHECK(info.epochs_trained == 0); /* nothing above trained */
	CHECK_OK(mlpgo_model_free(f));

	/* Early stopping needs a validation set. */
	mlpgo_config pc = small_config();
	pc.patience = 2;
	CHECK_OK(mlpgo_model_create(&pc, &f));
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "needs a validation set");
	CHECK_OK(mlpgo_fit(f, &train, &valid, NULL, NULL, hist, INT64_MAX, &hlen));
	CHECK(hlen >= 1 && hlen <= 20);
	CHECK_OK(mlpgo_model_free(f));

	/* Divergence: a learning rate far too large. */
	mlpgo_config dc = small_config();
	dc.eta = 1e30;
	dc.activation = MLPGO_ACTIVATION_RELU;
	dc.output = MLPGO_OUTPUT_SOFTMAX;
	CHECK_OK(mlpgo_model_create(&dc, &f));
	CHECK_ERR(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_DIVERGED, "smaller learning rate");
	CHECK_OK(mlpgo_model_free(f));

	/* Softmax outputs are probabilities. */
	mlpgo_config sc = small_config();
	sc.output = MLPGO_OUTPUT_SOFTMAX;
	sc.optimizer = MLPGO_OPTIMIZER_ADAM;
	sc.eta = 0.01;
	sc.epochs = 3;
	CHECK_OK(mlpgo_model_create(&sc, &f));
	CHECK_OK(mlpgo_fit(f, &train, NULL, NULL, NULL, NULL, 0, NULL));
	CHECK_OK(mlpgo_predict_proba(f, xv, NV, FEATURES, proba, NV * CLASSES));
	int sums_ok = 1;
	for (int i = 0; i < NV; i++) {
		double sum = 0;
		for (int k = 0; k < CLASSES; k++) sum += proba[i * CLASSES + k];
		if (fabs(sum - 1) > 1e-5) sums_ok = 0;
	}
	CHECK(sums_ok);
	CHECK_OK(mlpgo_model_free(f));

	/* Stopping from the callback, then resuming: on the same handle and
	 * through a checkpoint file, both equal to the uninterrupted run m. */
	mlpgo_model a, b;
	CHECK_OK(mlpgo_model_create(&cfg, &a));
	struct progress_state stop = {.model = a, .stop_after_epoch = 7};
	hlen = -1;
	CHECK_ERR(mlpgo_fit(a, &train, &valid, on_progress, &stop, hist, 32, &hlen), MLPGO_ERR_STOPPED, "stopped in epoch 8 after 0 of 30");
	CHECK(hlen == 7 && stop.epoch_reports == 7);
	CHECK_OK(mlpgo_model_save_checkpoint(a, path_in("ckpt.safetensors")));
	CHECK_OK(mlpgo_model_load(path_in("ckpt.safetensors"), &b));
	CHECK_OK(mlpgo_model_describe(b, &info));
	CHECK(info.epochs_trained == 7);
	CHECK_OK(mlpgo_fit(a, &train, &valid, NULL, NULL, hist, 32, &hlen));
	CHECK(hlen == 20);
	CHECK_OK(mlpgo_fit(b, &train, &valid, NULL, NULL, NULL, 0, NULL));
	CHECK_OK(mlpgo_predict_proba(a, xv, NV, FEATURES, proba32, NV * CLASSES));
	static float pm[NV * CLASSES], pb[NV * CLASSES];
	CHECK_OK(mlpgo_predict_proba(m, xv, NV, FEATURES, pm, NV * CLASSES));
	CHECK_OK(mlpgo_predict_proba(b, xv, NV, FEATURES, pb, NV * CLASSES));
	CHECK(same_floats(proba32, pm, NV * CLASSES));
	CHECK(same_floats(pb, pm, NV * CLASSES));
	CHECK_OK(mlpgo_model_free(a));
	CHECK_OK(mlpgo_model_free(b));

	/* Save and load: the same predictions; a plain model file predicts
	 * but does not train. */
	CHECK_OK(mlpgo_model_save(m, path_in("model.safetensors")));
	mlpgo_model l;
	CHECK_OK(mlpgo_model_load(path_in("model.safetensors"), &l));
	CHECK_OK(mlpgo_predict_proba(l, xv, NV, FEATURES, pb, NV * CLASSES));
	CHECK(same_floats(pb, pm, NV * CLASSES));
	CHECK_OK(mlpgo_model_describe(l, &info));
	CHECK(info.epochs_trained == 20 && info.config.hidden[0] == 16 && info.config.eta == 0.05);
	CHECK_ERR(mlpgo_fit(l, &train, NULL, NULL, NULL, NULL, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "no training state");
	CHECK_ERR(mlpgo_model_save_checkpoint(l, path_in("x.safetensors")), MLPGO_ERR_INVALID_ARGUMENT, "no training state");
	CHECK_OK(mlpgo_model_free(l));
	CHECK_OK(mlpgo_model_free(m));
	CHECK_OK(mlpgo_model_free(m32));
}

static void write_file(const char *path, const void *data, size_t n) {
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
}

static void test_files(void) {
	mlpgo_config cfg = small_config();
	mlpgo_model m, l = 0;
	CHECK_OK(mlpgo_model_create(&cfg, &m));
	CHECK_ERR(mlpgo_model_save(m, NULL), MLPGO_ERR_INVALID_ARGUMENT, "path is NULL");
	CHECK_ERR(mlpgo_model_save(m, path_in("no/such/folder/m.safetensors")), MLPGO_ERR_IO, "no such file");
	CHECK_ERR(mlpgo_model_load(NULL, &l), MLPGO_ERR_INVALID_ARGUMENT, "path is NULL");
	CHECK_ERR(mlpgo_model_load(path_in("model.safetensors"), NULL), MLPGO_ERR_INVALID_ARGUMENT, "model is NULL");
	CHECK_ERR(mlpgo_model_load(path_in("missing.safetensors"), &l), MLPGO_ERR_IO, "missing.safetensors");
	CHECK(l == 0);
	write_file(path_in("garbage.safetensors"), "hello, world", 12);
	CHECK_ERR(mlpgo_model_load(path_in("garbage.safetensors"), &l), MLPGO_ERR_FORMAT, "garbage.safetensors");

	/* A truncated copy and a copy with one flipped tensor byte. */
	CHECK_OK(mlpgo_model_save(m, path_in("whole.safetensors")));
	FILE *f = fopen(path_in("whole.safetensors"), "rb");
	static unsigned char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f) fclose(f);
	CHECK(n > 100 && n < sizeof buf);
	write_file(path_in("short.safetensors"), buf, n - 10);
	CHECK_ERR(mlpgo_model_load(path_in("short.safetensors"), &l), MLPGO_ERR_FORMAT, "short.safetensors");
	buf[n - 3] ^= 0x40;
	write_file(path_in("flipped.safetensors"), buf, n);
	CHECK_ERR(mlpgo_model_load(path_in("flipped.safetensors"), &l), MLPGO_ERR_FORMAT, "checksum");
	CHECK(l == 0);
	CHECK_OK(mlpgo_model_free(m));
}

static void test_datasets(void) {
	mlpgo_dataset ds = {.struct_size = sizeof ds};
	CHECK_OK(mlpgo_dataset_load(data_dir, "tiny", MLPGO_SCALE_SYMMETRIC, 3, &ds));
	CHECK(ds.rows == 120 && ds.cols == 16 && ds.height == 4 && ds.width == 4 && ds.classes == 3);
	CHECK(ds.x != NULL && ds.labels != NULL);
	/* Image 0 is class 0: row 0 is lit (255 -> 1), the rest is noise < 40. */
	CHECK(ds.labels[0] == 0 && ds.labels[1] == 1 && ds.labels[119] == 2);
	CHECK(ds.x[0] == 1.0f && ds.x[3] == 1.0f && ds.x[4] < -0.6f);
	CHECK(ds.x[16 + 4] == 1.0f); /* image 1, class 1: row 1 */
	/* It trains a model through the same API. */
	mlpgo_config cfg = small_config();
	cfg.inputs = ds.cols;
	cfg.epochs = 30;
	mlpgo_model m;
	CHECK_OK(mlpgo_model_create(&cfg, &m));
	mlpgo_samples s = {ds.x, ds.rows, ds.cols, ds.labels, MLPGO_LABELS_UINT8};
	CHECK_OK(mlpgo_fit(m, &s, NULL, NULL, NULL, NULL, 0, NULL));
	double acc = 0;
	CHECK_OK(mlpgo_accuracy(m, &s, &acc));
	CHECK(acc > 0.95);
	CHECK_OK(mlpgo_model_free(m));
	CHECK_OK(mlpgo_dataset_free(&ds));
	CHECK(ds.x == NULL && ds.labels == NULL && ds.rows == 0 && ds.struct_size == (int64_t)sizeof ds);
	CHECK_OK(mlpgo_dataset_free(&ds)); /* twice is harmless */
	CHECK_OK(mlpgo_dataset_free(NULL));

	CHECK_OK(mlpgo_dataset_load(data_dir, "tiny", MLPGO_SCALE_UNIT, 0, &ds));
	CHECK(ds.x[0] == 1.0f && ds.x[4] >= 0 && ds.x[4] < 0.2f && ds.classes == 10);
	CHECK_OK(mlpgo_dataset_free(&ds));
	CHECK_OK(mlpgo_dataset_load(data_dir, "tiny10", MLPGO_SCALE_RAW, 0, &ds));
	CHECK(ds.rows == 100 && ds.x[0] == 255.0f && ds.labels[9] == 9);
	CHECK_OK(mlpgo_dataset_free(&ds));

	CHECK_ERR(mlpgo_dataset_load(NULL, "tiny", 0, 0, &ds), MLPGO_ERR_INVALID_ARGUMENT, "dir is NULL");
	CHECK_ERR(mlpgo_dataset_load(data_dir, NULL, 0, 0, &ds), MLPGO_ERR_INVALID_ARGUMENT, "split is NULL");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "tiny", 0, 0, NULL), MLPGO_ERR_INVALID_ARGUMENT, "ds is NULL");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "tiny", 5, 0, &ds), MLPGO_ERR_INVALID_ARGUMENT, "unknown scaling 5");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "tiny", 0, 300, &ds), MLPGO_ERR_INVALID_ARGUMENT, "classes is 300");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "tiny", 0, 2, &ds), MLPGO_ERR_FORMAT, "label");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "badlabel", 0, 0, &ds), MLPGO_ERR_FORMAT, "label");
	CHECK_ERR(mlpgo_dataset_load(data_dir, "nosuchsplit", 0, 0, &ds), MLPGO_ERR_IO, "nosuchsplit");
	CHECK_ERR(mlpgo_dataset_load(path_in("nosuchdir"), "tiny", 0, 0, &ds), MLPGO_ERR_IO, "nosuchdir");
	CHECK(ds.x == NULL && ds.labels == NULL);
	ds.struct_size = 16;
	CHECK_ERR(mlpgo_dataset_load(data_dir, "tiny", 0, 0, &ds), MLPGO_ERR_ABI, "mlpgo_dataset.struct_size is 16");
	CHECK_ERR(mlpgo_dataset_free(&ds), MLPGO_ERR_ABI, "mlpgo_dataset.struct_size is 16");
}

static void test_fetch(const char *mnist_dir) {
	char path[4096];
	int64_t needed = 0;
	CHECK_ERR(mlpgo_mnist_fetch(NULL, NULL, 10, NULL), MLPGO_ERR_INVALID_ARGUMENT, "path_len 10");
	CHECK_ERR(mlpgo_mnist_fetch(NULL, path, -1, NULL), MLPGO_ERR_INVALID_ARGUMENT, "path_len -1");
	if (mnist_dir == NULL) {
		return;
	}
	char tiny[4] = "abc";
	CHECK_ERR(mlpgo_mnist_fetch(mnist_dir, tiny, sizeof tiny, &needed), MLPGO_ERR_BUFFER_TOO_SMALL, "path needs");
	CHECK(needed == (int64_t)strlen(mnist_dir) + 1 && strcmp(tiny, "abc") == 0);
	CHECK_OK(mlpgo_mnist_fetch(mnist_dir, path, sizeof path, &needed));
	CHECK(strcmp(path, mnist_dir) == 0);
	mlpgo_dataset ds = {.struct_size = sizeof ds};
	CHECK_OK(mlpgo_dataset_load(path, "t10k", MLPGO_SCALE_SYMMETRIC, 0, &ds));
	CHECK(ds.rows == 10000 && ds.cols == 784 && ds.classes == 10);
	CHECK_OK(mlpgo_dataset_free(&ds));
}

int main(int argc, char **argv) {
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR [MNIST_DIR]\n", argv[0]);
		return 2;
	}
	data_dir = argv[1];
	test_versions_and_errors();
	test_config();
	test_create_errors();
	test_handles();
	test_fit_predict();
	test_files();
	test_datasets();
	test_fetch(argc > 2 ? argv[2] : NULL);
	return check_summary();
}
