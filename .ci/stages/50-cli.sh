# The README's quick start as a new user runs it: `mlpgo train` with no
# flags fetches MNIST into an empty cache, trains the seed's network for 200
# epochs and must reach 97.5% test accuracy; eval of the saved model must
# print the same accuracy; plot must write its four figures.
source "$(dirname "$0")/../lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/mlpgo" ./cli/mlpgo
cd "$work"
export XDG_CACHE_HOME="$work/cache"
unset MLPGO_DATA

./mlpgo train | tee train.out
acc=$(sed -n 's/^accuracy: .*test \([0-9.]*\)%$/\1/p' train.out)
awk -v a="$acc" 'BEGIN { exit !(a >= 97.5) }' || { echo "test accuracy '$acc%' is below 97.5%"; exit 1; }

./mlpgo eval | tee eval.out
grep -qx "accuracy: $acc%" eval.out || { echo "eval does not print the test accuracy $acc% that train printed"; exit 1; }

./mlpgo plot
for f in history digits class-7 misclassified; do
  [ -s "$f.png" ] || { echo "plot did not write $f.png"; exit 1; }
done
