# mlp beyond `go test ./...`: the concurrent-Predict and training tests
# under the race detector, and a short fuzzing of the model-file loader.
source "$(dirname "$0")/../lib.sh"
go test -race -count=1 -run 'PredictConcurrent|Predict|TrainBatch|Cancel|CheckpointResume' ./mlp/
# Minimizing each new input (the default is up to 60 s, not counted in
# -fuzztime) would stall the run: bound it by executions.
go test -run '^$' -fuzz '^FuzzLoadModel$' -fuzztime 30s -fuzzminimizetime 200x ./mlp/
