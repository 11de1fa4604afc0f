# The README's test command, then the whole suite once per ISA this machine has.
source "$(dirname "$0")/../lib.sh"
go test ./...
for isa in $(isas); do
  echo "--- MLPGO_ISA=$isa"
  MLPGO_ISA=$isa go test -count=1 ./...
done
