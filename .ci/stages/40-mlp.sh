# mlp beyond `go test ./...`: the concurrent-Predict and training tests
# under the race detector, and a short fuzzing of the model-file loader.
source "$(dirname "$0")/../lib.sh"
go test -race -count=1 -run 'PredictConcurrent|Predict|TrainBatch|Cancel|CheckpointResume' ./mlp/
go test -run '^$' -fuzz '^FuzzLoadModel$' -fuzztime 30s ./mlp/
