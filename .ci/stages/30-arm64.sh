# arm64: the test binaries of every package with kernels, run under qemu,
# so the cross-check harness pits the NEON kernels against the generic ones.
source "$(dirname "$0")/../lib.sh"
need_apt qemu-user-static
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
run() { echo "+ qemu-aarch64-static $*" >&2; qemu-aarch64-static "$@"; }

# Dispatch: every arm64 CPU runs the NEON set, and MLPGO_ISA can force it.
GOARCH=arm64 go build -o "$bin/isas" ./linalg/internal/isas
got=$(run "$bin/isas" | tr '\n' ' ')
[ "$got" = "neon generic " ] || { echo "arm64 kernel sets: got '$got', want 'neon generic '"; exit 1; }

for pkg in ./linalg ./linalg/asm; do
  name=$(basename "$pkg")
  GOARCH=arm64 go test -c -o "$bin/$name.test" "$pkg"
  (cd "$pkg" && run "$bin/$name.test" -test.v) >"$bin/$name.log" 2>&1 || { cat "$bin/$name.log"; exit 1; }
  grep -v -e '^=== ' "$bin/$name.log"
done
# Every cross-check (each test with a generic subtest) must have passed a
# neon subtest too.
checks=$(grep -o -e '--- PASS: Test[A-Za-z0-9_]*/generic ' "$bin/linalg.log" | sed 's|--- PASS: \(.*\)/generic |\1|')
[ -n "$checks" ] || { echo "no cross-check in the arm64 log"; exit 1; }
for t in $checks; do
  grep -q -e "--- PASS: $t/neon " "$bin/linalg.log" || { echo "$t has no passing neon subtest in the arm64 log"; exit 1; }
done
echo "neon passed the $(echo "$checks" | wc -l) cross-checks"
MLPGO_ISA=neon run "$bin/linalg.test" -test.run 'TestISADispatch|TestGemmDegenerate'

# The GEMM benchmark as a smoke test: qemu's timings mean nothing.
GOARCH=arm64 go test -c -o "$bin/mlpgo.test" .
run "$bin/mlpgo.test" -test.run '^$' -test.bench 'Gemm/neon/fwd_out' -test.benchtime 1x
