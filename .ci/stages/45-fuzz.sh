# Short fuzzing of the IDX reader and of GEMM shapes (the model loader is
# fuzzed in the mlp stage). Minimization is bounded by executions so a new
# input cannot stall the run.
source "$(dirname "$0")/../lib.sh"
go test -run '^$' -fuzz '^FuzzReadIDX$' -fuzztime 30s -fuzzminimizetime 200x ./mnistio/
go test -run '^$' -fuzz '^FuzzGemm$' -fuzztime 20s -fuzzminimizetime 50x ./linalg/
