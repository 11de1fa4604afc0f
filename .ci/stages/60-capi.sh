# The C ABI: build libmlpgo.so as the README says, run the C tests (every
# function and error path, the pthreads test, the example) against it, train
# on real MNIST with the C example, and run the Python package's tests,
# including the real-MNIST parity test with the mlpgo command.
source "$(dirname "$0")/../lib.sh"
need_apt gcc g++ python3-numpy python3-pytest

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -buildmode=c-shared -o "$out/libmlpgo.so" ./capi

go test -count=1 -v -run 'TestHeader|TestGuard|TestC$|TestExample' ./capi

cc -std=c11 -O2 -Wall -Wextra -Werror -Icapi/include -o "$out/train_mnist" capi/examples/train_mnist.c \
  -L"$out" -lmlpgo -Wl,-rpath,"$out"
"$out/train_mnist" -e 2 -o "$out/mnist.safetensors"

MLPGO_LIB="$out/libmlpgo.so" MLPGO_TEST_MNIST=1 /usr/bin/python3 -m pytest -p no:cacheprovider -v capi/python/tests
