/*
 * mlpgo.h: the C ABI of mlpgo (libmlpgo), a multilayer perceptron library
 * written in Go with SIMD kernels.
 *
 * Build the library from the repository root with
 *
 *     go build -buildmode=c-shared -o capi/lib/libmlpgo.so ./capi
 *
 * and link with  -Icapi/include -Lcapi/lib -lmlpgo  (plus an rpath or
 * LD_LIBRARY_PATH so the loader finds libmlpgo.so at run time).
 *
 * CONVENTIONS
 *
 * - Every name starts with mlpgo_ / MLPGO_. Sizes and counts are int64_t;
 *   a negative size is an error.
 * - Every function that can fail returns an mlpgo_status: MLPGO_OK (0) on
 *   success, another code otherwise. No function aborts or crashes the process
 *   on bad input: NULL pointers, negative or inconsistent sizes, unknown or
 *   freed handles, labels out of range and NaN/Inf inputs all return an error.
 *   A panic inside the library (a bug) returns MLPGO_ERR_INTERNAL.
 * - After a failure, mlpgo_last_error() gives a message for it. Messages are
 *   kept per thread, as errno is: a thread only ever sees the messages of its
 *   own calls. Successful calls leave the thread's last message unchanged.
 * - Inputs are const pointers and outputs come last. The caller owns every
 *   buffer it passes; the library reads and writes them only during the call
 *   and never keeps a pointer to them. The library never hands out pointers
 *   to its own (Go) memory: the only memory it gives the caller is an
 *   mlpgo_dataset's arrays, allocated with malloc and released with
 *   mlpgo_dataset_free, and static strings that live as long as the process.
 * - Models are opaque handles (mlpgo_model). 0 is never a valid handle.
 * - Structs that may grow start with int64_t struct_size, which the caller
 *   sets to sizeof(the struct) before passing it to any function, in or out:
 *       mlpgo_config cfg = { .struct_size = sizeof cfg };
 *   A size this library does not know returns MLPGO_ERR_ABI.
 *
 * THREADS
 *
 * Every function may be called from any thread, and none waits for another.
 * On one model, any number of threads may run mlpgo_predict,
 * mlpgo_predict_proba, mlpgo_accuracy, mlpgo_model_describe,
 * mlpgo_model_save and mlpgo_model_save_checkpoint at once. mlpgo_fit and
 * mlpgo_model_free need the model to themselves: they return MLPGO_ERR_BUSY
 * at once if another call is using it, and while mlpgo_fit runs every other
 * call on that model returns MLPGO_ERR_BUSY. Different models are
 * independent.
 *
 * PROCESS-WIDE FACTS (from Go's c-shared runtime)
 *
 * - One Go runtime per process: do not load libmlpgo next to another shared
 *   library built by Go (-buildmode=c-shared, gopy, gomobile) in the same
 *   process (golang/go#18976).
 * - Never dlclose libmlpgo: a Go runtime cannot be unloaded (golang/go#11100).
 * - The Go runtime installs handlers for synchronous signals (SIGSEGV,
 *   SIGBUS, SIGFPE) and SIGPIPE, chaining to the host's own ones; it leaves
 *   SIGINT, SIGTERM and the other asynchronous signals to the host
 *   (golang/go#13028), so the host's Ctrl-C handling keeps working. A signal
 *   the host handles does not interrupt a running call: return non-zero from
 *   the mlpgo_fit progress callback to stop training early.
 * - MLPGO_ISA (generic, avx2, avx512, neon), read when the library is
 *   loaded, forces a kernel set; mlpgo_version() names the one in use. With
 *   a set this CPU cannot run, every call that computes fails with
 *   MLPGO_ERR_INVALID_ARGUMENT and a message that says so.
 */
#ifndef MLPGO_H
#define MLPGO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(MLPGO_BUILDING_LIBRARY)
#define MLPGO_API __declspec(dllimport)
#else
#define MLPGO_API
#endif

/* MLPGO_ABI_VERSION is the version of this header's ABI. It changes whenever
 * a function's signature or a struct's layout changes in a way old callers
 * would break on; compare it with mlpgo_abi_version() at start-up. */
#define MLPGO_ABI_VERSION 1

/* The largest number of hidden layers a mlpgo_config can describe. */
#define MLPGO_MAX_HIDDEN 16

/* ---- Status codes ------------------------------------------------------ */

typedef int32_t mlpgo_status;

enum {
	MLPGO_OK = 0,
	/* A NULL pointer, a negative or inconsistent size, a bad config value,
	 * a label out of range, a NaN or Inf input. */
	MLPGO_ERR_INVALID_ARGUMENT = 1,
	/* The handle is 0, was freed, or was never returned by this library. */
	MLPGO_ERR_INVALID_HANDLE = 2,
	/* Another call is using the model (see THREADS); nothing was done. */
	MLPGO_ERR_BUSY = 3,
	/* mlpgo_fit stopped because its progress callback returned non-zero.
	 * Not a failure: the model holds the weights it had reached. */
	MLPGO_ERR_STOPPED = 4,
	/* Training diverged: the outputs, cost or weights became NaN or Inf.
	 * The model's weights are unusable; create a new model with a smaller
	 * eta. */
	MLPGO_ERR_DIVERGED = 5,
	/* A file could not be found, read or written. */
	MLPGO_ERR_IO = 6,
	/* A file's content is invalid: truncated, corrupted, a checksum
	 * mismatch, an unknown format version, inconsistent with itself. */
	MLPGO_ERR_FORMAT = 7,
	/* A caller buffer is too small; the call says what it needs. */
	MLPGO_ERR_BUFFER_TOO_SMALL = 8,
	/* A struct_size this library does not know (header/library mismatch). */
	MLPGO_ERR_ABI = 9,
	/* Memory could not be allocated. */
	MLPGO_ERR_NO_MEMORY = 10,
	/* A bug in the library (a recovered panic); the message says where.
	 * Please report it. */
	MLPGO_ERR_INTERNAL = 11
};

/* ---- Enumerations of the config --------------------------------------- */

/* Hidden-layer activations. 0 is not a valid value. */
enum {
	MLPGO_ACTIVATION_SIGMOID = 1, /* the seed's */
	MLPGO_ACTIVATION_TANH = 2,
	MLPGO_ACTIVATION_RELU = 3,
	MLPGO_ACTIVATION_LEAKY_RELU = 4 /* slope 0.01 below zero */
};

/* Output layer and its cost. 0 is not a valid value. */
enum {
	/* independent sigmoid units with the logistic cost (the seed's) */
	MLPGO_OUTPUT_SIGMOID = 1,
	/* softmax with the cross-entropy cost */
	MLPGO_OUTPUT_SOFTMAX = 2
};

/* Initial weight distributions (biases start at zero). 0 is not valid. */
enum {
	MLPGO_INIT_NORMAL = 1, /* Normal(0, init_scale), the seed's */
	MLPGO_INIT_GLOROT = 2, /* Glorot (Xavier) uniform */
	MLPGO_INIT_HE = 3      /* He normal, for ReLU layers */
};

/* Optimizers. 0 is not a valid value. */
enum {
	MLPGO_OPTIMIZER_SGD = 1, /* W -= eta*(grad + l2*W), the seed's */
	MLPGO_OPTIMIZER_MOMENTUM = 2,
	MLPGO_OPTIMIZER_NESTEROV = 3,
	MLPGO_OPTIMIZER_ADAM = 4
};

/* Element types of label arrays. 0 is not a valid value. */
enum {
	MLPGO_LABELS_UINT8 = 1, /* const uint8_t * */
	MLPGO_LABELS_INT32 = 2  /* const int32_t * */
};

/* Pixel scalings of mlpgo_dataset_load. */
enum {
	MLPGO_SCALE_SYMMETRIC = 0, /* ((p/255) - 0.5) * 2, in [-1, 1]; the seed's */
	MLPGO_SCALE_UNIT = 1,      /* p/255, in [0, 1] */
	MLPGO_SCALE_RAW = 2        /* p, in [0, 255] */
};

/* ---- Types -------------------------------------------------------------- */

/* An opaque handle to a model. 0 is never valid. */
typedef uint64_t mlpgo_model;

/* mlpgo_config describes a network and how to train it. Fill it with
 * mlpgo_config_init, which sets the seed's values (one hidden layer of 100
 * sigmoid units, sigmoid outputs with the logistic cost, Normal(0, 0.1)
 * weights, SGD with eta 0.0005 and l2 0.01, 200 epochs of shuffled
 * minibatches of 100, seed 1), then change what you need. inputs and outputs
 * have no default and must be set. */
typedef struct mlpgo_config {
	int64_t struct_size;  /* sizeof(mlpgo_config), set by the caller */
	int64_t inputs;       /* features per sample, > 0 (784 for MNIST) */
	int64_t outputs;      /* classes, >= 2 (10 for MNIST) */
	int64_t n_hidden;     /* hidden layers, 1..MLPGO_MAX_HIDDEN */
	int64_t hidden[MLPGO_MAX_HIDDEN]; /* their sizes, input side first */
	int32_t activation;   /* MLPGO_ACTIVATION_*, of the hidden layers */
	int32_t output;       /* MLPGO_OUTPUT_* */
	int32_t init;         /* MLPGO_INIT_* */
	int32_t optimizer;    /* MLPGO_OPTIMIZER_* */
	double init_scale;    /* standard deviation of MLPGO_INIT_NORMAL, > 0 */
	double eta;           /* learning rate, > 0; gradients are summed over
	                         the minibatch, not averaged, as in the seed */
	double l2;            /* L2 penalty on the weights (not biases), >= 0 */
	double momentum;      /* MOMENTUM and NESTEROV velocity decay, in (0,1) */
	double beta1;         /* Adam, in (0, 1) */
	double beta2;         /* Adam, in (0, 1) */
	double epsilon;       /* Adam, > 0 */
	int64_t epochs;       /* passes over the training set, > 0 */
	int64_t batch_size;   /* minibatch size, > 0; the last incomplete
	                         minibatch of each epoch is dropped */
	int64_t patience;     /* > 0: early stopping on the validation accuracy
	                         after this many epochs without improvement,
	                         keeping the best weights; 0: off */
	uint64_t seed;        /* seeds initialization and shuffling; 0 acts as 1 */
	int32_t shuffle;      /* non-zero: shuffle the rows every epoch */
} mlpgo_config;

/* mlpgo_samples is a view of caller memory: rows samples of cols features
 * each, row-major and contiguous, and one label per sample. */
typedef struct mlpgo_samples {
	const float *x;      /* rows*cols values */
	int64_t rows;
	int64_t cols;
	const void *labels;  /* rows labels, each in [0, outputs) */
	int32_t label_type;  /* MLPGO_LABELS_UINT8 or MLPGO_LABELS_INT32 */
} mlpgo_samples;

/* mlpgo_epoch holds the figures of one finished epoch. */
typedef struct mlpgo_epoch {
	int64_t epoch;          /* 1-based */
	double cost;            /* training cost: the output cost summed over
	                           the training set plus the L2 term */
	double train_accuracy;  /* in [0, 1] */
	double valid_accuracy;  /* in [0, 1]; NaN without a validation set */
	double seconds;         /* wall time of the epoch and its evaluation */
} mlpgo_epoch;

/* mlpgo_progress is what mlpgo_fit tells its progress callback. */
typedef struct mlpgo_progress {
	int64_t epoch;       /* the current epoch, 1-based */
	int64_t epochs;      /* the epochs planned */
	int64_t batch;       /* minibatches done in this epoch */
	int64_t batches;     /* minibatches per epoch */
	int32_t epoch_done;  /* non-zero once per epoch, when it has finished;
	                        then `stats` holds its figures */
	mlpgo_epoch stats;
} mlpgo_progress;

/* A progress callback: return 0 to go on, non-zero to stop training. */
typedef int32_t (*mlpgo_progress_fn)(const mlpgo_progress *progress, void *user_data);

/* mlpgo_model_info describes a model (mlpgo_model_describe). */
typedef struct mlpgo_model_info {
	int64_t struct_size; /* sizeof(mlpgo_model_info), set by the caller */
	mlpgo_config config; /* its architecture and hyper-parameters */
	int64_t epochs_trained; /* epochs its weights were trained for */
} mlpgo_model_info;

/* mlpgo_dataset is one split of an MNIST-layout dataset loaded by
 * mlpgo_dataset_load. Its arrays are allocated with malloc by the library
 * and owned by the caller, who releases them with mlpgo_dataset_free. */
typedef struct mlpgo_dataset {
	int64_t struct_size; /* sizeof(mlpgo_dataset), set by the caller */
	int64_t rows;        /* samples */
	int64_t cols;        /* features per sample: height*width */
	int64_t height;      /* image height in pixels */
	int64_t width;       /* image width in pixels */
	int64_t classes;     /* labels are in [0, classes) */
	float *x;            /* rows*cols values, row-major */
	uint8_t *labels;     /* rows labels */
} mlpgo_dataset;

#if !defined(MLPGO_BUILDING_LIBRARY)
/* The library's own build sees only the types above: cgo declares the
 * functions itself, without const. */

/* ---- Versions and errors ------------------------------------------------ */

/* mlpgo_abi_version returns the library's MLPGO_ABI_VERSION; a caller whose
 * header says otherwise must not use the library. Thread-safe; never fails. */
MLPGO_API int32_t mlpgo_abi_version(void);

/* mlpgo_version returns the library's module version ("(devel)" when built
 * from a source tree), Go version, platform and kernel set, such as
 * "mlpgo (devel) (go1.26.8, linux/amd64, kernels avx2)": a static string
 * the caller must not free or modify. Thread-safe; never fails. */
MLPGO_API const char *mlpgo_version(void);

/* mlpgo_status_name returns the name of status s ("MLPGO_ERR_BUSY"), or
 * "MLPGO_UNKNOWN_STATUS": a static string the caller must not free.
 * Thread-safe; never fails. */
MLPGO_API const char *mlpgo_status_name(mlpgo_status s);

/* mlpgo_last_error copies the message of the calling thread's last failed
 * call into buf (buf_len bytes, NUL included) and, if needed is not NULL,
 * stores the buffer size the whole message needs in *needed. The message is
 * "" if no call on this thread has failed. If the message does not fit, buf
 * gets as much as fits, NUL-terminated (nothing if buf_len is 0), and the
 * call returns MLPGO_ERR_BUFFER_TOO_SMALL; buf may be NULL when buf_len is 0,
 * to ask for the size. Returns MLPGO_ERR_INVALID_ARGUMENT if buf is NULL with
 * buf_len > 0 or buf_len < 0. It never changes the thread's last message.
 * Thread-safe. */
MLPGO_API mlpgo_status mlpgo_last_error(char *buf, int64_t buf_len, int64_t *needed);

/* ---- Models ------------------------------------------------------------- */

/* mlpgo_config_init fills *cfg with the seed's values (see mlpgo_config);
 * cfg->struct_size must be set. inputs and outputs are set to 0 and must be
 * set by the caller. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_config_init(mlpgo_config *cfg);

/* mlpgo_model_create creates an untrained model from *cfg, its weights
 * initialized from cfg->seed, and stores its handle in *model. The caller
 * owns the model and releases it with mlpgo_model_free; the library keeps no
 * pointer to cfg. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_model_create(const mlpgo_config *cfg, mlpgo_model *model);

/* mlpgo_model_free releases a model. Freeing 0 is a no-op that returns
 * MLPGO_OK; freeing a freed or unknown handle returns
 * MLPGO_ERR_INVALID_HANDLE; freeing a model that another thread is using
 * returns MLPGO_ERR_BUSY and leaves it alive. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_model_free(mlpgo_model model);

/* mlpgo_model_describe stores a description of the model in *info
 * (info->struct_size must be set; the library sets info->config's). Safe to
 * call from many threads at once on one model. */
MLPGO_API mlpgo_status mlpgo_model_describe(mlpgo_model model, mlpgo_model_info *info);

/* mlpgo_set_threads sets how many threads the matrix products of every model
 * may use, process-wide, and stores the previous setting in *previous if it
 * is not NULL. 0 restores the default: the Go runtime's GOMAXPROCS (the
 * number of cores unless the GOMAXPROCS environment variable says
 * otherwise). Results do not depend on the thread count. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_set_threads(int32_t threads, int32_t *previous);

/* ---- Training ----------------------------------------------------------- */

/* mlpgo_fit trains the model on *train for cfg.epochs epochs, evaluating
 * after each epoch on the training set and, if valid is not NULL, on *valid
 * (which early stopping needs). train->cols and valid->cols must equal the
 * model's inputs and every label must be in [0, outputs); x must hold finite
 * values.
 *
 * If progress is not NULL it is called on the calling thread during the call,
 * after each minibatch and once more at the end of each epoch (epoch_done
 * set), with user_data passed through; returning non-zero stops training at
 * once and mlpgo_fit returns MLPGO_ERR_STOPPED. The callback must not call
 * functions on this model (they return MLPGO_ERR_BUSY).
 *
 * If history is not NULL, the figures of the model's first history_cap
 * finished epochs (all its training so far, across calls) are stored in
 * history[0..]; if history_len is not NULL, the number of finished epochs
 * (which may exceed history_cap) is stored in *history_len, also when
 * training stops early or fails.
 *
 * Training runs until the model has been trained for config.epochs epochs
 * in all (or early stopping ends it): after MLPGO_ERR_STOPPED, calling
 * mlpgo_fit again with the same data continues where it stopped, and once
 * all epochs are done it returns MLPGO_OK at once. A model read by
 * mlpgo_model_load from a model file (not a checkpoint) has no training
 * state and cannot be trained further (MLPGO_ERR_INVALID_ARGUMENT). The model is held exclusively for the whole
 * call (see THREADS). With the same config, seed, data and kernel set,
 * training gives bit-identical weights whatever the thread count. */
MLPGO_API mlpgo_status mlpgo_fit(mlpgo_model model, const mlpgo_samples *train,
                                 const mlpgo_samples *valid, mlpgo_progress_fn progress,
                                 void *user_data, mlpgo_epoch *history, int64_t history_cap,
                                 int64_t *history_len);

/* ---- Inference ---------------------------------------------------------- */

/* mlpgo_predict stores in labels[i] the predicted class of row i of x (rows
 * rows of cols == inputs values, finite). labels_len must be >= rows.
 * Safe to call from many threads at once on one model. */
MLPGO_API mlpgo_status mlpgo_predict(mlpgo_model model, const float *x, int64_t rows,
                                     int64_t cols, int32_t *labels, int64_t labels_len);

/* mlpgo_predict_proba stores in proba[i*outputs + k] the output activation of
 * class k for row i of x: softmax probabilities for MLPGO_OUTPUT_SOFTMAX, the
 * independent sigmoid outputs (each in (0,1), not summing to 1) for
 * MLPGO_OUTPUT_SIGMOID. proba_len must be >= rows*outputs. Safe to call from
 * many threads at once on one model. */
MLPGO_API mlpgo_status mlpgo_predict_proba(mlpgo_model model, const float *x, int64_t rows,
                                           int64_t cols, float *proba, int64_t proba_len);

/* mlpgo_accuracy stores in *accuracy the fraction of the rows of *data whose
 * predicted class equals their label. Safe to call from many threads at once
 * on one model. */
MLPGO_API mlpgo_status mlpgo_accuracy(mlpgo_model model, const mlpgo_samples *data,
                                      double *accuracy);

/* ---- Files -------------------------------------------------------------- */

/* mlpgo_model_save writes the model to path (UTF-8) as a .safetensors file:
 * an 8-byte little-endian header length, a JSON header, then the raw
 * little-endian float32 tensors layers.{i}.weight ([out, in]) and
 * layers.{i}.bias, with the config and a checksum in the header's
 * __metadata__. The file is replaced atomically. Safe to call concurrently
 * with predicts on the same model. */
MLPGO_API mlpgo_status mlpgo_model_save(mlpgo_model model, const char *path);

/* mlpgo_model_save_checkpoint writes the model and its training state
 * (optimizer state, random generator state, position in training, history)
 * to path, atomically. mlpgo_model_load of a checkpoint returns a model that
 * mlpgo_fit continues training exactly where this one stands, giving the
 * same weights as an uninterrupted run. A model loaded from a plain model
 * file has no training state: MLPGO_ERR_INVALID_ARGUMENT. Safe to call
 * concurrently with predicts on the same model. */
MLPGO_API mlpgo_status mlpgo_model_save_checkpoint(mlpgo_model model, const char *path);

/* mlpgo_model_load reads a model saved by mlpgo_model_save or
 * mlpgo_model_save_checkpoint (or by the mlpgo command) and stores a new
 * handle in *model; the caller releases it with mlpgo_model_free. A truncated, corrupted, inconsistent or unknown-version
 * file returns MLPGO_ERR_FORMAT. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_model_load(const char *path, mlpgo_model *model);

/* ---- Datasets ----------------------------------------------------------- */

/* mlpgo_mnist_fetch finds verified copies of the four MNIST files (checked
 * against their SHA-256) in dir if it is not NULL or "", else in the cache
 * ($MLPGO_DATA or the user cache folder), downloading them into the cache if
 * needed, and copies the folder that holds them into path (path_len bytes,
 * NUL included). If needed is not NULL, *needed gets the size the folder's
 * name needs; a path too small returns MLPGO_ERR_BUFFER_TOO_SMALL.
 * Thread-safe; it may take minutes on a first download. */
MLPGO_API mlpgo_status mlpgo_mnist_fetch(const char *dir, char *path, int64_t path_len,
                                         int64_t *needed);

/* mlpgo_dataset_load reads split ("train", "t10k", or an EMNIST file prefix)
 * of the MNIST-layout dataset in folder dir (files S-images-idx3-ubyte and
 * S-labels-idx1-ubyte, either spelling, raw or gzip) with the pixels scaled
 * as scaling (MLPGO_SCALE_*) says, checking that every label is in
 * [0, classes) (classes 0 means 10). On success *ds describes the data and
 * owns two malloc'd arrays that the caller releases with mlpgo_dataset_free
 * (ds->struct_size must be set, and ds must not hold arrays: free them
 * first). On failure *ds is left with NULL arrays. Thread-safe. */
MLPGO_API mlpgo_status mlpgo_dataset_load(const char *dir, const char *split, int32_t scaling,
                                          int64_t classes, mlpgo_dataset *ds);

/* mlpgo_dataset_free releases the arrays of a dataset filled by
 * mlpgo_dataset_load and sets them to NULL and its sizes to 0, so freeing
 * twice is harmless. ds may be NULL. Not thread-safe for one dataset: free it
 * once, after every thread has finished with it. */
MLPGO_API mlpgo_status mlpgo_dataset_free(mlpgo_dataset *ds);

#endif /* !MLPGO_BUILDING_LIBRARY */

#ifdef __cplusplus
}
#endif

#endif /* MLPGO_H */
