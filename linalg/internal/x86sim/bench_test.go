package x86sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkCall runs the GEMM micro-kernels on a full tile with k = 300
// and reports simulated instructions per second.
func BenchmarkCall(b *testing.B) {
	for _, kern := range []struct {
		file, name string
		mr, nr     int
	}{
		{"../../asm/gemm_avx2_amd64.s", "GemmAVX2x6x16", 6, 16},
		{"../../asm/gemm_avx512_amd64.s", "GemmAVX512x12x32", 12, 32},
	} {
		b.Run(fmt.Sprintf("%s/k=300", kern.name), func(b *testing.B) {
			const k = 300
			p := load(b, kern.file)
			r := rand.New(rand.NewPCG(1, 2))
			a, bp, c := randomValues(r, kern.mr*k, false), randomValues(r, kern.nr*k, false), randomValues(r, kern.mr*kern.nr, false)
			f := NewFrame().Int(k).Float32(1).Slice(a).Int(1).Int(kern.mr).Slice(bp).Int(kern.nr).Int(kern.nr * k).
				Float32(1).Slice(c).Int(kern.nr).Int(kern.mr).Int(kern.nr)
			var steps int64
			for b.Loop() {
				n, err := p.Call(kern.name, f)
				if err != nil {
					b.Fatal(err)
				}
				steps += n
			}
			b.ReportMetric(float64(steps)/b.Elapsed().Seconds()/1e6, "Minstr/s")
		})
	}
}
