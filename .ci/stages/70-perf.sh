# The speed work of issue 9 beyond `go test ./...`: the parallel paths
# (linalg.Parallel, the chunked inference and evaluation, bit-identical
# training for any thread count) under the race detector, and every
# end-to-end and small-product benchmark once, so the figures the README
# quotes keep running.
source "$(dirname "$0")/../lib.sh"
go test -race -count=1 -run '^(TestParallel|TestParallelNested|TestGemmFewRows|TestAllFinite|TestGemmPoolHandoff|TestSpinUntilBacksOff|TestGemmThreadsBitIdentical|TestGemmParallelAllocatesNothing|TestSparseGemmThreads)$' ./linalg/
go test -race -count=1 -run 'Determinism|InferenceThreads|PredictConcurrent' ./mlp/
go test -run '^$' -bench 'TrainStep|TrainEpoch|PredictOne|PredictBatch|SparseGemm' -benchtime 1x -cpu 1,2 .
go test -run '^$' -bench 'GemmFewRows|AllFinite' -benchtime 1x ./linalg/
