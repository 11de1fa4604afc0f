// Command isas prints the kernel sets linalg can run on this machine, one
// per line, best first. CI uses it to run the tests once per ISA.
package main

import (
	"fmt"

	"github.com/mlpgo/mlpgo/linalg"
)

func main() {
	for _, name := range linalg.Available() {
		fmt.Println(name)
	}
}
