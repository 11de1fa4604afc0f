package asm

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// avx512F lists the instructions on zmm or opmask registers that the
// AVX-512 kernels may use: all are AVX-512F, the one extension that every
// CPU in the avx512 set has (cpuid.AVX512F). VXORPS, VANDPS and VORPS on
// zmm, for one, are AVX512DQ: their integer twins VPXORD, VPANDD and VPORD
// are F. Check the Intel SDM before adding a mnemonic here.
var avx512F = map[string]bool{
	"KMOVW": true, "VADDPD": true, "VADDPS": true, "VBLENDMPS": true, "VBROADCASTSS": true,
	"VCMPPS": true, "VCVTPS2DQ": true, "VCVTPS2PD": true, "VDIVPS": true, "VEXTRACTF64X4": true,
	"VFMADD213PS": true, "VFMADD231PD": true, "VFMADD231PS": true, "VFNMADD231PS": true,
	"VMAXPS": true, "VMINPS": true, "VMOVUPS": true, "VMULPS": true, "VPADDD": true,
	"VPANDD": true, "VPORD": true, "VPSLLD": true, "VPSRAD": true, "VPSUBD": true,
	"VPXORD": true, "VRNDSCALEPS": true, "VSUBPS": true,
}

// TestAVX512KernelsUseOnlyF checks every instruction of the AVX-512 files
// that names a zmm or opmask register against avx512F, so that a kernel
// does not need an extension the dispatch does not check for.
func TestAVX512KernelsUseOnlyF(t *testing.T) {
	files, err := filepath.Glob("*_avx512_amd64.s")
	if err != nil || len(files) == 0 {
		t.Fatalf("no AVX-512 assembly files found (err %v)", err)
	}
	wide := regexp.MustCompile(`\b(Z[0-9]+|K[1-7])\b`)
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || strings.HasPrefix(fields[0], "//") || !wide.MatchString(line) {
				continue
			}
			mnemonic, _, _ := strings.Cut(fields[0], ".") // drop .Z and .BCST
			if !avx512F[mnemonic] {
				t.Errorf("%s:%d: %s is not in the AVX-512F list: %s", file, i+1, mnemonic, strings.TrimSpace(line))
			}
		}
	}
}
