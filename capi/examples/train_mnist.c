/* train_mnist.c: train the seed's 784-100-10 network on MNIST through
 * libmlpgo, report the test accuracy and save the model.
 *
 * Build (from the repository root):
 *   go build -buildmode=c-shared -o capi/lib/libmlpgo.so ./capi
 *   cc -std=c11 -O2 -Icapi/include -o train_mnist capi/examples/train_mnist.c \
 *      -Lcapi/lib -lmlpgo -Wl,-rpath,"$PWD/capi/lib"
 * Run:
 *   ./train_mnist -e 5 -o mnist.safetensors
 *
 * Options:
 *   -d DIR   read the train and t10k splits of an MNIST-layout dataset
 *            (MNIST, Fashion-MNIST, KMNIST...) from DIR; without -d, MNIST is
 *            fetched into the cache and verified by mlpgo_mnist_fetch
 *   -e N     epochs (default: the seed's 200)
 *   -o PATH  where to save the model (default mnist.safetensors)
 *
 * As in the seed, the last 5,000 training images are the validation set
 * (the last twelfth for sets smaller than 10,000). Ctrl-C stops training
 * after the current minibatch; the model reached so far is still scored and
 * saved. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "mlpgo.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
	(void)sig;
	interrupted = 1;
}

/* fail prints the library's message, which names the function that failed,
 * and exits. */
static void fail(mlpgo_status st) {
	char msg[2048];
	mlpgo_last_error(msg, sizeof msg, NULL);
	fprintf(stderr, "train_mnist: %s (%s)\n", msg, mlpgo_status_name(st));
	exit(1);
}

#define TRY(call)                                \
	do {                                     \
		mlpgo_status st_ = (call);       \
		if (st_ != MLPGO_OK) fail(st_); \
	} while (0)

/* progress prints one line per finished epoch and stops on Ctrl-C. */
static int32_t progress(const mlpgo_progress *p, void *user_data) {
	(void)user_data;
	if (p->epoch_done) {
		printf("epoch %3lld/%lld  cost %10.2f  train %6.2f%%  valid %6.2f%%  (%.1f s)\n", (long long)p->epoch,
		       (long long)p->epochs, p->stats.cost, 100 * p->stats.train_accuracy, 100 * p->stats.valid_accuracy,
		       p->stats.seconds);
		fflush(stdout);
	}
	return interrupted;
}

int main(int argc, char **argv) {
	const char *dir = NULL, *out = "mnist.safetensors";
	long long epochs = 0;
	int opt;
	while ((opt = getopt(argc, argv, "d:e:o:")) != -1) {
		switch (opt) {
		case 'd': dir = optarg; break;
		case 'e': epochs = atoll(optarg); break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-d DIR] [-e EPOCHS] [-o MODEL]\n", argv[0]);
			return 2;
		}
	}
	if (mlpgo_abi_version() != MLPGO_ABI_VERSION) {
		fprintf(stderr, "train_mnist: libmlpgo has ABI %d, this program was built for %d\n", mlpgo_abi_version(),
		        MLPGO_ABI_VERSION);
		return 1;
	}
	printf("%s\n", mlpgo_version());

	char folder[4096];
	if (dir == NULL) {
		TRY(mlpgo_mnist_fetch(NULL, folder, sizeof folder, NULL));
		dir = folder;
	}
	mlpgo_dataset train = {.struct_size = sizeof train}, test = {.struct_size = sizeof test};
	TRY(mlpgo_dataset_load(dir, "train", MLPGO_SCALE_SYMMETRIC, 0, &train));
	TRY(mlpgo_dataset_load(dir, "t10k", MLPGO_SCALE_SYMMETRIC, 0, &test));
	int64_t n_valid = train.rows > 10000 ? 5000 : train.rows / 12;
	int64_t n_train = train.rows - n_valid;
	printf("%s: %lld training, %lld validation, %lld test images of %lldx%lld pixels\n", dir, (long long)n_train,
	       (long long)n_valid, (long long)test.rows, (long long)train.height, (long long)train.width);

	/* The seed's network and training; only the sizes and epochs change. */
	mlpgo_config cfg = {.struct_size = sizeof cfg};
	TRY(mlpgo_config_init(&cfg));
	cfg.inputs = train.cols;
	cfg.outputs = train.classes;
	if (epochs > 0) cfg.epochs = epochs;
	mlpgo_model model;
	TRY(mlpgo_model_create(&cfg, &model));

	/* Views of the library-allocated arrays: no copies. */
	mlpgo_samples tr = {train.x, n_train, train.cols, train.labels, MLPGO_LABELS_UINT8};
	mlpgo_samples va = {train.x + n_train * train.cols, n_valid, train.cols, train.labels + n_train,
	                    MLPGO_LABELS_UINT8};
	mlpgo_samples te = {test.x, test.rows, test.cols, test.labels, MLPGO_LABELS_UINT8};

	signal(SIGINT, on_sigint);
	mlpgo_status st = mlpgo_fit(model, &tr, &va, progress, NULL, NULL, 0, NULL);
	if (st == MLPGO_ERR_STOPPED) {
		printf("interrupted: keeping the model trained so far\n");
	} else if (st != MLPGO_OK) {
		fail(st);
	}

	double accuracy;
	TRY(mlpgo_accuracy(model, &te, &accuracy));
	printf("test accuracy %.4f%%\n", 100 * accuracy);
	TRY(mlpgo_model_save(model, out));
	printf("saved %s\n", out);

	TRY(mlpgo_model_free(model));
	TRY(mlpgo_dataset_free(&train));
	TRY(mlpgo_dataset_free(&test));
	return 0;
}
