package mnistio_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/mlpgo/mlpgo/mnistio"
)

// Example writes a 2x3 int16 array as a gzip-compressed IDX file and reads
// it back; the reader recognises gzip from the content.
func Example() {
	var buf bytes.Buffer
	a := mnistio.Array{Type: mnistio.Int16, Dims: []int{2, 3}, Data: []int16{1, -2, 3, 400, -500, 600}}
	if err := mnistio.WriteIDX(&buf, a, true); err != nil {
		log.Fatal(err)
	}
	b, err := mnistio.ReadIDX(&buf)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Type, b.Dims, b.Data)
	// Output: int16 [2 3] [1 -2 3 400 -500 600]
}
