package x86sim

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// testHeader is prepended to every test program: a table of four words.
const testHeader = `#include "textflag.h"

DATA tbl<>+0(SB)/4, $0x00000001
DATA tbl<>+4(SB)/4, $0x00000002
DATA tbl<>+8(SB)/4, $0xffffffff
DATA tbl<>+12(SB)/4, $-2147483648
GLOBL tbl<>(SB), RODATA|NOPTR, $16

`

// program wraps body in TEXT ·f(SB) taking (in, out []float32), with SI
// and DI pointing at in and out, and parses it.
func program(t *testing.T, body string) *Program {
	t.Helper()
	src := testHeader + "TEXT ·f(SB), NOSPLIT, $0-48\n" +
		"\tMOVQ in_base+0(FP), SI\n\tMOVQ out_base+24(FP), DI\n" + body + "\n\tRET\n"
	p, err := Parse("test.s", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p.MaxSteps = 1000
	return p
}

// runBody runs body on in and out (as bit patterns) and returns out.
func runBody(t *testing.T, body string, in, out []uint32) ([]uint32, error) {
	t.Helper()
	fin, fout := make([]float32, len(in)), make([]float32, len(out))
	for i, v := range in {
		fin[i] = math.Float32frombits(v)
	}
	for i, v := range out {
		fout[i] = math.Float32frombits(v)
	}
	_, err := program(t, body).Call("f", NewFrame().Slice(fin).Slice(fout))
	got := make([]uint32, len(fout))
	for i, v := range fout {
		got[i] = bitsOf(v)
	}
	return got, err
}

// fl returns the bit patterns of vs.
func fl(vs ...float32) []uint32 {
	b := make([]uint32, len(vs))
	for i, v := range vs {
		b[i] = bitsOf(v)
	}
	return b
}

// count returns the bit patterns of 1, 2, ..., n.
func count(n int) []uint32 {
	b := make([]uint32, n)
	for i := range b {
		b[i] = bitsOf(float32(i + 1))
	}
	return b
}

// filled returns n copies of v's bit pattern followed by rest.
func filled(n int, v float32, rest ...uint32) []uint32 {
	b := make([]uint32, n)
	for i := range b {
		b[i] = bitsOf(v)
	}
	return append(b, rest...)
}

// doubles returns the bit patterns of float64s, two words each.
func doubles(vs ...float64) []uint32 {
	var b []uint32
	for _, v := range vs {
		b = append(b, q(math.Float64bits(v))...)
	}
	return b
}

// q returns a 64-bit value as two little-endian words.
func q(v uint64) []uint32 { return []uint32{uint32(v), uint32(v >> 32)} }

func TestIntegerInstructions(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []uint32
	}{
		{"MOVQ imm", "MOVQ $-8, AX\n MOVQ AX, (DI)", q(0xfffffffffffffff8)},
		{"MOVQ imm64", "MOVQ $0x123456789abcdef0, AX\n MOVQ AX, (DI)", q(0x123456789abcdef0)},
		{"MOVL zero-extends", "MOVQ $-1, AX\n MOVL $5, AX\n MOVQ AX, (DI)", q(5)},
		{"MOVL imm -1", "MOVL $-1, AX\n MOVQ AX, (DI)", q(0xffffffff)},
		{"MOVL load", "MOVQ $-1, AX\n MOVL 4(SI), AX\n MOVQ AX, (DI)", q(0x40000000)},
		{"MOVQ load and store with offsets", "MOVQ (SI), AX\n MOVQ AX, 8(DI)", []uint32{0, 0, 0x3f800000, 0x40000000}},
		{"negative displacement", "LEAQ 16(DI), BX\n MOVL $7, -4(BX)", []uint32{0, 0, 0, 7}},
		{"ADDQ", "MOVQ $5, AX\n MOVQ $-7, BX\n ADDQ BX, AX\n MOVQ AX, (DI)", q(0xfffffffffffffffe)},
		{"ADDQ mem", "MOVQ $1, AX\n ADDQ (SI), AX\n MOVQ AX, (DI)", q(0x400000003f800001)},
		{"SUBQ", "MOVQ $5, AX\n SUBQ $7, AX\n MOVQ AX, (DI)", q(0xfffffffffffffffe)},
		{"ANDQ", "MOVQ $0x1234, AX\n ANDQ $-8, AX\n MOVQ AX, (DI)", q(0x1230)},
		{"ANDL zero-extends", "MOVQ $-1, AX\n ANDL $0x7fffffff, AX\n MOVQ AX, (DI)", q(0x7fffffff)},
		{"ORQ XORQ", "MOVQ $0x0f, AX\n ORQ $0xf0, AX\n XORQ $0x3c, AX\n MOVQ AX, (DI)", q(0xc3)},
		{"SHLQ SHRQ", "MOVQ $3, AX\n SHLQ $62, AX\n MOVQ AX, BX\n SHRQ $60, BX\n MOVQ BX, (DI)", q(0xc)},
		{"SHLQ CX", "MOVQ $1, AX\n MOVQ $65, CX\n SHLQ CX, AX\n MOVQ AX, (DI)", q(2)},
		{"SARQ", "MOVQ $-64, AX\n SARQ $3, AX\n MOVQ AX, (DI)", q(0xfffffffffffffff8)},
		{"NEGQ NOTQ", "MOVQ $5, AX\n NEGQ AX\n NOTQ AX\n MOVQ AX, (DI)", q(4)},
		{"INCQ DECQ", "MOVQ $5, AX\n INCQ AX\n INCQ AX\n DECQ AX\n MOVQ AX, (DI)", q(6)},
		{"IMULQ", "MOVQ $-3, AX\n MOVQ $7, BX\n IMULQ BX, AX\n MOVQ AX, (DI)", q(0xffffffffffffffeb)},
		{"IMUL3Q", "MOVQ $6, BX\n IMUL3Q $7, BX, AX\n MOVQ AX, (DI)", q(42)},
		{"IMULQ frame", "MOVQ $-3, AX\n IMULQ in_len+8(FP), AX\n MOVQ AX, (DI)", q(0xfffffffffffffff4)},
		{"MOVLQSX negative", "MOVQ $0x12345678, AX\n MOVL $-5, BX\n MOVLQSX BX, AX\n MOVQ AX, (DI)", q(0xfffffffffffffffb)},
		{"MOVLQSX positive", "MOVQ $-1, BX\n MOVL $0x7fffffff, BX\n MOVLQSX BX, AX\n MOVQ AX, (DI)", q(0x7fffffff)},
		{"MOVLQSX load", "MOVQ $-1, AX\n MOVLQSX 4(SI), AX\n MOVQ AX, (DI)", q(0x40000000)},
		{"MOVLQSX load negative", "MOVLQSX tbl<>+12(SB), AX\n MOVQ AX, (DI)", q(0xffffffff80000000)},
		{"POPCNTQ", "MOVQ $-2, AX\n POPCNTQ AX, BX\n MOVQ BX, (DI)", q(63)},
		{"POPCNTL counts the low half and zero-extends", "MOVQ $-1, AX\n MOVQ $0x7f00000003, BX\n POPCNTL BX, AX\n MOVQ AX, (DI)", q(2)},
		{"POPCNTL load", "POPCNTL tbl<>+8(SB), AX\n MOVQ AX, (DI)", q(32)},
		{"LEAQ scaled index", "MOVQ $3, CX\n LEAQ 8(SI)(CX*4), AX\n SUBQ SI, AX\n MOVQ AX, (DI)", q(20)},
		{"LEAQ negative index", "MOVQ $-2, CX\n LEAQ 8(SI)(CX*4), AX\n SUBQ SI, AX\n MOVQ AX, (DI)", q(0)},
		{"LEAQ symbol", "LEAQ tbl<>+4(SB), AX\n MOVL (AX), BX\n MOVL BX, (DI)", []uint32{2}},
		{"MOVQ $symbol", "MOVQ $tbl<>(SB), AX\n MOVL 8(AX), BX\n MOVL BX, (DI)", []uint32{0xffffffff}},
		{"symbol with index", "MOVQ $3, CX\n MOVL tbl<>(SB)(CX*4), AX\n MOVL AX, (DI)", []uint32{0x80000000}},
		{"frame read and write", "MOVQ $9, AX\n MOVQ AX, in_len+8(FP)\n MOVQ in_len+8(FP), BX\n MOVQ BX, (DI)", q(9)},
		{"frame slice header", "MOVQ out_len+32(FP), AX\n MOVQ out_cap+40(FP), BX\n ADDQ BX, AX\n MOVQ AX, (DI)", q(8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runBody(t, strings.ReplaceAll(tc.body, "\n ", "\n\t"), count(4), make([]uint32, 4))
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if got[i] != w {
					t.Errorf("out[%d] = %#x, want %#x (out %x)", i, got[i], w, got)
				}
			}
		})
	}
}

func TestJumps(t *testing.T) {
	for _, tc := range []struct {
		setup string
		taken map[string]bool
	}{
		{"MOVQ $1, AX\n CMPQ AX, $2", map[string]bool{
			"JL": true, "JLT": true, "JGE": false, "JLE": true, "JGT": false, "JG": false, "JEQ": false, "JE": false,
			"JNE": true, "JCS": true, "JB": true, "JHI": false, "JA": false, "JLS": true, "JCC": false, "JAE": false, "JMI": true, "JPL": false,
		}},
		{"MOVQ $-1, AX\n CMPQ AX, $1", map[string]bool{"JL": true, "JCS": false, "JHI": true, "JGT": false}},
		{"MOVQ $2, AX\n CMPQ AX, $2", map[string]bool{"JEQ": true, "JZ": true, "JLE": true, "JGE": true, "JLT": false, "JGT": false, "JCC": true, "JLS": true}},
		{"MOVQ $0x7fffffffffffffff, AX\n ADDQ $1, AX", map[string]bool{"JOS": true, "JO": true, "JMI": true, "JLT": false, "JCS": false}},
		{"MOVQ $-1, AX\n ADDQ $1, AX", map[string]bool{"JCS": true, "JZ": true, "JOC": true}},
		{"MOVQ $0x100000000, AX\n CMPL AX, $0", map[string]bool{"JEQ": true}},
		{"MOVQ $0x80000000, AX\n TESTL AX, AX", map[string]bool{"JMI": true, "JNZ": true}},
		{"MOVQ $0, AX\n TESTQ AX, AX", map[string]bool{"JZ": true, "JNZ": false}},
		{"MOVQ $1, AX\n DECQ AX", map[string]bool{"JNZ": false, "JZ": true}},
		{"MOVQ $1, AX\n CMPQ AX, $2\n MOVQ $5, BX\n DECQ BX", map[string]bool{"JCS": true, "JZ": false}},
		{"MOVQ $3, AX\n SHRQ $2, AX", map[string]bool{"JZ": true, "JCS": true}},
		{"MOVQ $0, AX\n NEGQ AX", map[string]bool{"JCC": true, "JZ": true}},
		{"MOVQ $4, AX\n NEGQ AX", map[string]bool{"JCS": true, "JMI": true}},
		{"MOVQ $1, AX\n SUBQ $2, AX", map[string]bool{"JCS": true, "JLT": true}},
		{"MOVQ $1, AX\n SUBQ $2, AX\n MOVQ $0, BX\n POPCNTQ BX, BX", map[string]bool{"JZ": true, "JCS": false, "JOS": false, "JMI": false}},
		{"MOVQ $1, AX\n SUBQ $2, AX\n MOVQ $-1, BX\n POPCNTQ BX, BX", map[string]bool{"JZ": false, "JCS": false, "JLT": false}},
	} {
		for jump, want := range tc.taken {
			name := strings.ReplaceAll(tc.setup, "\n ", "; ") + "; " + jump
			t.Run(name, func(t *testing.T) {
				body := strings.ReplaceAll(tc.setup, "\n ", "\n\t") + "\n\t" + jump + " yes\n\tMOVL $1, (DI)\n\tJMP done\n" +
					"yes:\n\tMOVL $2, (DI)\ndone:"
				got, err := runBody(t, body, nil, []uint32{0})
				if err != nil {
					t.Fatal(err)
				}
				if taken := got[0] == 2; taken != want {
					t.Errorf("taken = %v, want %v", taken, want)
				}
			})
		}
	}
}

func TestVectorInstructions(t *testing.T) {
	const seven = "MOVL $0x40e00000, AX\n MOVL AX, 60(DI)\n VBROADCASTSS 60(DI), Z0\n" // Z0 = 7 in every lane
	for _, tc := range []struct {
		name, body string
		out, want  []uint32 // out's contents before the call (zeros if nil) and after
	}{
		{"VMOVUPS Y load store", "VMOVUPS (SI), Y1\n VMOVUPS Y1, 4(DI)", nil, append([]uint32{0}, count(8)...)},
		{"VMOVUPS Z", "VMOVUPS (SI), Z1\n VMOVUPS Z1, (DI)", nil, count(16)},
		{"VMOVUPS X zeroes the upper lanes", "VMOVUPS (SI), Z1\n VMOVUPS 16(SI), X1\n VMOVUPS Z1, (DI)", nil,
			append(fl(5, 6, 7, 8), make([]uint32, 12)...)},
		{"VMOVDQU register move", "VMOVDQU (SI), Y1\n VMOVDQU Y1, Y2\n VMOVDQU Y2, (DI)", nil, count(8)},
		{"VXORPS", "VMOVUPS (SI), Y1\n VXORPS Y1, Y1, Y1\n VMOVUPS Y1, (DI)", filled(8, 3), make([]uint32, 8)},
		{"VXORPS Z", seven + " VXORPS Z0, Z0, Z0\n VMOVUPS Z0, (DI)", nil, make([]uint32, 16)},
		{"VANDPS VORPS VANDNPS", "VMOVUPS (SI), Y1\n VMOVUPS 32(SI), Y2\n VANDPS Y1, Y2, Y3\n VORPS Y1, Y2, Y4\n VANDNPS Y3, Y4, Y5\n VMOVUPS Y5, (DI)", nil,
			func() []uint32 {
				w := make([]uint32, 8)
				for i := range w {
					a, b := bitsOf(float32(i+1)), bitsOf(float32(i+9))
					w[i] = ^(a | b) & (a & b)
				}
				return w
			}()},
		{"VADDPS mem", "VMOVUPS (SI), Y1\n VADDPS 32(SI), Y1, Y2\n VMOVUPS Y2, (DI)", nil, fl(10, 12, 14, 16, 18, 20, 22, 24)},
		{"VSUBPS is middle minus first", "VMOVUPS (SI), X1\n VMOVUPS 16(SI), X2\n VSUBPS X1, X2, X3\n VMOVUPS X3, (DI)", nil, fl(4, 4, 4, 4)},
		{"VDIVPS is middle over first", "VMOVUPS (SI), X1\n VMOVUPS 16(SI), X2\n VDIVPS X1, X2, X3\n VMOVUPS X3, (DI)", nil, fl(5, 3, 7.0/3, 2)},
		{"VMULPS", "VMOVUPS (SI), X1\n VMULPS X1, X1, X1\n VMOVUPS X1, (DI)", nil, fl(1, 4, 9, 16)},
		{"VBROADCASTSS mem", "VBROADCASTSS 8(SI), Y1\n VMOVUPS Y1, (DI)", nil, filled(8, 3)},
		{"VBROADCASTSS X to Z", "VMOVUPS 12(SI), X1\n VBROADCASTSS X1, Z2\n VMOVUPS Z2, (DI)", nil, filled(16, 4)},
		{"VFMADD231PS reg", "VMOVUPS (SI), Y1\n VMOVUPS 32(SI), Y2\n VMOVUPS Y1, Y3\n VFMADD231PS Y1, Y2, Y3\n VMOVUPS Y3, (DI)", nil,
			fl(1*9+1, 2*10+2, 3*11+3, 4*12+4, 5*13+5, 6*14+6, 7*15+7, 8*16+8)},
		{"VFMADD231PS mem", "VMOVUPS (SI), X1\n VBROADCASTSS 4(SI), X2\n VFMADD231PS 16(SI), X2, X1\n VMOVUPS X1, (DI)", nil, fl(11, 14, 17, 20)},
		{"VFMADD213PS", "VMOVUPS (SI), X1\n VBROADCASTSS 4(SI), X2\n VFMADD213PS 16(SI), X2, X1\n VMOVUPS X1, (DI)", nil, fl(7, 10, 13, 16)},
		{"VFMADD132PS", "VMOVUPS (SI), X1\n VBROADCASTSS 4(SI), X2\n VFMADD132PS 16(SI), X2, X1\n VMOVUPS X1, (DI)", nil, fl(7, 14, 23, 34)},
		{"VFMADD231PS.BCST", "VMOVUPS (SI), Z1\n VMOVUPS Z1, Z2\n VFMADD231PS.BCST 8(SI), Z1, Z2\n VMOVUPS Z2, (DI)", nil,
			func() []uint32 {
				w := make([]uint32, 16)
				for i := range w {
					w[i] = bitsOf(float32(i+1)*3 + float32(i+1))
				}
				return w
			}()},
		{"VMULPS.BCST", "VMOVUPS (SI), Z1\n VMULPS.BCST 4(SI), Z1, Z1\n VMOVUPS Z1, (DI)", nil,
			func() []uint32 {
				w := make([]uint32, 16)
				for i := range w {
					w[i] = bitsOf(float32(i+1) * 2)
				}
				return w
			}()},
		{"VZEROUPPER", "VMOVUPS (SI), Z1\n VMOVUPS (SI), Z17\n VZEROUPPER\n VMOVUPS Z1, (DI)\n VMOVUPS Z17, 64(DI)", nil,
			append(append(fl(1, 2, 3, 4), make([]uint32, 12)...), count(16)...)},
		{"VMASKMOVPS load", "VMOVDQU tbl<>(SB), X1\n VMOVUPS (SI), Z2\n VMASKMOVPS 16(SI), X1, X2\n VMOVUPS Z2, (DI)", nil,
			append(fl(0, 0, 7, 8), make([]uint32, 12)...)},
		{"VMASKMOVPS store", "VMOVDQU tbl<>(SB), X1\n VMOVUPS (SI), X2\n VMASKMOVPS X2, X1, (DI)", filled(4, 9), fl(9, 9, 3, 4)},
		{"KMOVW merge-masked load", seven + " MOVL $0x00f0, AX\n KMOVW AX, K1\n VMOVUPS (SI), K1, Z0\n VMOVUPS Z0, (DI)", nil,
			append(append(filled(4, 7), fl(5, 6, 7, 8)...), filled(8, 7)...)},
		{"zero-masked load", seven + " MOVL $0x00f0, AX\n KMOVW AX, K1\n VMOVUPS.Z (SI), K1, Z0\n VMOVUPS Z0, (DI)", nil,
			append(append(make([]uint32, 4), fl(5, 6, 7, 8)...), make([]uint32, 8)...)},
		{"masked store", "MOVL $0x8001, AX\n KMOVW AX, K2\n VMOVUPS (SI), Z0\n VMOVUPS Z0, K2, (DI)", filled(16, 9),
			append(append(fl(1), filled(14, 9)...), fl(16)...)},
		{"masked register move", seven + " MOVL $0x0003, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z1\n VMOVUPS Z1, K1, Z0\n VMOVUPS Z0, (DI)", nil,
			append(fl(1, 2), filled(14, 7)...)},
		{"masked FMA merges", seven + " MOVL $0x0005, AX\n KMOVW AX, K3\n VMOVUPS (SI), Z1\n VFMADD231PS Z1, Z1, K3, Z0\n VMOVUPS Z0, (DI)", nil,
			append(fl(8, 7, 16), filled(13, 7)...)},
		{"zero-masked BCST add", seven + " MOVL $0x0002, AX\n KMOVW AX, K3\n VADDPS.BCST.Z (SI), Z0, K3, Z0\n VMOVUPS Z0, (DI)", nil,
			append(fl(0, 8), make([]uint32, 14)...)},
		{"EVEX Y with a mask zeroes the upper lanes", seven + " MOVL $0xffff, AX\n KMOVW AX, K1\n VADDPS Y0, Y0, K1, Y0\n VMOVUPS Z0, (DI)", nil,
			append(filled(8, 14), make([]uint32, 8)...)},
		{"KMOVW from memory and to GPR", "KMOVW 4(SI), K1\n KMOVW K1, AX\n MOVQ AX, (DI)", nil, q(0)},
		{"KMOVW truncates", "MOVQ $-1, AX\n KMOVW AX, K1\n KMOVQ K1, BX\n MOVQ BX, (DI)", nil, q(0xffff)},
		{"KMOVQ and KMOVB", "MOVQ $0x123456789, AX\n KMOVQ AX, K5\n KMOVB K5, BX\n KMOVD K5, CX\n MOVQ BX, (DI)\n MOVQ CX, 8(DI)", nil,
			[]uint32{0x89, 0, 0x23456789, 0}},
		{"KMOVW mask table", "MOVQ $3, CX\n LEAQ tbl<>(SB), BX\n MOVL (BX)(CX*4), BX\n KMOVW BX, K1\n SHRQ $16, BX\n KMOVW BX, K2\n" +
			" VMOVUPS.Z (SI), K2, Z1\n VMOVUPS Z1, (DI)", nil, append(make([]uint32, 15), bitsOf(16))},
		{"PREFETCHT0 far away does nothing", "PREFETCHT0 1000000(SI)\n MOVL $1, (DI)", nil, []uint32{1}},
		{"VMINPS VMAXPS mem", "VMOVUPS (SI), Z1\n VBROADCASTSS 24(SI), Z2\n VMINPS Z1, Z2, Z3\n VMAXPS 4(SI), X2, X4\n" +
			" VMOVUPS Z3, (DI)\n VMOVUPS X4, 64(DI)", nil, append(append(count(7), filled(9, 7)...), fl(7, 7, 7, 7)...)},
		{"masked VMAXPS merges", seven + " MOVL $0x0101, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z1\n VMAXPS Z1, Z1, K1, Z0\n VMOVUPS Z0, (DI)", nil,
			append(append(fl(1), filled(7, 7)...), append(fl(9), filled(7, 7)...)...)},
		{"VFNMADD231PS", "VMOVUPS (SI), X1\n VBROADCASTSS 4(SI), X2\n VMOVUPS 16(SI), X3\n VFNMADD231PS X1, X2, X3\n VMOVUPS X3, (DI)", nil, fl(3, 2, 1, 0)},
		{"VFNMADD213PS.BCST", "VMOVUPS (SI), Z1\n VBROADCASTSS 4(SI), Z2\n VFNMADD213PS.BCST 60(SI), Z2, Z1\n VMOVUPS X1, (DI)", nil, fl(14, 12, 10, 8)},
		{"VFNMADD132PS", "VMOVUPS (SI), Y1\n VBROADCASTSS 4(SI), Y2\n VFNMADD132PS 32(SI), Y2, Y1\n VMOVUPS X1, (DI)", nil, fl(-7, -18, -31, -46)},
		{"VPADDD VPSUBD", "VMOVDQU (SI), Y1\n VPADDD Y1, Y1, Y2\n VPSUBD Y1, Y2, Y2\n VPSUBD 4(SI), Y2, Y3\n VMOVDQU Y2, (DI)\n VMOVDQU X3, 32(DI)", nil,
			append(count(8), 0xff800000, 0xffc00000, 0xffc00000, 0xffe00000)},
		{"VPADDD.BCST wraps", "VMOVUPS (SI), Z1\n VPADDD.BCST tbl<>+8(SB), Z1, Z1\n VMOVUPS X1, (DI)", nil,
			[]uint32{bitsOf(1) - 1, bitsOf(2) - 1, bitsOf(3) - 1, bitsOf(4) - 1}},
		{"VPXORD.BCST VPANDD VPORD VPANDND", "VMOVUPS (SI), Z1\n VPXORD.BCST tbl<>+12(SB), Z1, Z2\n VPANDD.BCST tbl<>+12(SB), Z2, Z3\n" +
			" VPORD Z3, Z1, Z4\n VPANDND Z4, Z3, Z5\n VMOVUPS X2, (DI)\n VMOVUPS X3, 16(DI)\n VMOVUPS X4, 32(DI)\n VMOVUPS X5, 48(DI)", nil,
			append(append(append(fl(-1, -2, -3, -4), filled(4, float32(math.Copysign(0, -1)))...), fl(-1, -2, -3, -4)...), count(4)...)},
		{"VPSLLD VPSRLD VPSRAD", "VMOVDQU tbl<>(SB), X1\n VPSLLD $4, X1, X2\n VPSRLD $1, X1, X3\n VPSRAD $1, X1, X4\n VPSRAD $40, X1, X5\n VPSLLD $32, X1, X6\n" +
			" VMOVDQU X2, (DI)\n VMOVDQU X3, 16(DI)\n VMOVDQU X4, 32(DI)\n VMOVDQU X5, 48(DI)\n VMOVDQU X6, 64(DI)", nil,
			[]uint32{0x10, 0x20, 0xfffffff0, 0, 0, 1, 0x7fffffff, 0x40000000, 0, 1, 0xffffffff, 0xc0000000, 0, 0, 0xffffffff, 0xffffffff, 0, 0, 0, 0}},
		{"masked VPSRAD zeroes", "MOVL $0x2, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z1\n VPSRAD.Z $23, Z1, K1, Z2\n VMOVUPS Z2, (DI)", nil,
			append(append([]uint32{0}, 128), make([]uint32, 14)...)},
		{"VROUNDPS", "VBROADCASTSS 12(SI), X1\n VBROADCASTSS 8(SI), X2\n VDIVPS X2, X1, X1\n VROUNDPS $0, X1, X2\n VROUNDPS $1, X1, X3\n" +
			" VROUNDPS $2, X1, X4\n VMOVUPS X2, (DI)\n VMOVUPS X3, 16(DI)\n VMOVUPS X4, 32(DI)", nil,
			append(append(filled(4, 1), filled(4, 1)...), filled(4, 2)...)},
		{"VRNDSCALEPS mem and mask", seven + " MOVL $0x8000, AX\n KMOVW AX, K1\n VRNDSCALEPS $0x13, (SI), K1, Z0\n VMOVUPS Z0, (DI)", nil,
			append(filled(15, 7), bitsOf(16))},
		{"VCVTPS2DQ VCVTTPS2DQ", "VBROADCASTSS 8(SI), Y1\n VBROADCASTSS 4(SI), Y2\n VDIVPS Y2, Y1, Y1\n VCVTPS2DQ Y1, Y2\n VCVTTPS2DQ Y1, Y3\n" +
			" VMOVDQU X2, (DI)\n VMOVDQU X3, 16(DI)", nil, []uint32{2, 2, 2, 2, 1, 1, 1, 1}},
		{"VCVTPS2DQ.Z mem", "MOVL $0x5, AX\n KMOVW AX, K1\n VCVTPS2DQ.Z 4(SI), K1, Z1\n VMOVDQU Z1, (DI)", nil, append([]uint32{2, 0, 4}, make([]uint32, 13)...)},
		{"VCMPPS into a vector", "VMOVUPS (SI), Y1\n VBROADCASTSS 8(SI), Y2\n VCMPPS $1, Y2, Y1, Y3\n VCMPPS $0x0e, 4(SI), Y1, Y4\n VMOVUPS Y3, (DI)\n VMOVUPS X4, 32(DI)", nil,
			append([]uint32{0xffffffff, 0xffffffff}, make([]uint32, 10)...)},
		{"VCMPPS into an opmask under a writemask", "VMOVUPS (SI), Z1\n VBROADCASTSS 32(SI), Z2\n MOVL $0xff0f, AX\n KMOVW AX, K1\n" +
			" VCMPPS $2, Z2, Z1, K1, K2\n VCMPPS $5, Z2, Z1, K3\n KMOVQ K2, AX\n KMOVQ K3, BX\n MOVQ AX, (DI)\n MOVQ BX, 8(DI)", nil,
			[]uint32{0x010f, 0, 0xff00, 0}},
		{"VCMPPS.BCST under a writemask", "VMOVUPS (SI), Z1\n MOVL $0x7fff, AX\n KMOVW AX, K1\n VCMPPS.BCST $0x0e, 16(SI), Z1, K1, K2\n" +
			" KMOVW K2, AX\n MOVQ AX, (DI)", nil, q(0x7fe0)},
		{"VRNDSCALEPS.BCST", "VRNDSCALEPS.BCST $0x02, 4(SI), Z1\n VMOVUPS Z1, (DI)", nil, filled(16, 2)},
		{"VCMPPS on Y clears the upper opmask bits", "VMOVUPS (SI), Y1\n VCMPPS $15, Y1, Y1, K4\n KMOVQ K4, AX\n MOVQ AX, (DI)", nil, q(0xff)},
		{"VBLENDMPS", seven + " MOVL $0x8003, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z1\n VBLENDMPS Z1, Z0, K1, Z2\n VMOVUPS Z2, (DI)", nil,
			append(append(fl(1, 2), filled(13, 7)...), bitsOf(16))},
		{"VBLENDMPS.Z", seven + " MOVL $0x8003, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z1\n VBLENDMPS.Z Z1, Z0, K1, Z2\n VMOVUPS Z2, (DI)", nil,
			append(append(fl(1, 2), make([]uint32, 13)...), bitsOf(16))},
		{"MOVSS load keeps the upper register", "VMOVUPS (SI), Z1\n MOVSS 8(SI), X1\n VMOVUPS Z1, (DI)", nil,
			append(fl(3, 0, 0, 0), count(16)[4:]...)},
		{"VMOVSS load zeroes the register", "VMOVUPS (SI), Z1\n VMOVSS 8(SI), X1\n VMOVUPS Z1, (DI)", nil, append(fl(3), make([]uint32, 15)...)},
		{"VMOVSD load, MOVSD and VMOVSS store", "VMOVSD 8(SI), X1\n MOVSD X1, 4(DI)\n VMOVSS X1, 16(DI)", nil, fl(0, 3, 4, 0, 3, 0)},
		{"VMOVMSKPS zero-extends", "VMOVDQU tbl<>(SB), X1\n MOVQ $-1, AX\n VMOVMSKPS X1, AX\n MOVQ AX, (DI)", nil, q(12)},
		{"VEXTRACTF64X4 VEXTRACTF32X4 VEXTRACTF128", "VMOVUPS (SI), Z1\n VMOVUPS Z1, Z2\n VEXTRACTF64X4 $1, Z1, Y2\n VEXTRACTF32X4 $2, Z1, X3\n" +
			" VEXTRACTF128 $1, Y2, X4\n VMOVUPS Y2, (DI)\n VMOVUPS X3, 32(DI)\n VMOVUPS X4, 48(DI)\n VMOVUPS Z2, 64(DI)", nil,
			append(append(append(count(16)[8:], count(12)[8:]...), count(16)[12:]...), append(count(16)[8:], make([]uint32, 8)...)...)},
		{"VPERMILPS", "VMOVUPS (SI), Z1\n VPERMILPS $0x1b, Z1, Z2\n MOVL $0x00f0, AX\n KMOVW AX, K1\n VPERMILPS.Z $0x00, Z1, K1, Z3\n" +
			" VMOVUPS Y2, (DI)\n VMOVUPS Y3, 32(DI)", nil, append(fl(4, 3, 2, 1, 8, 7, 6, 5), append(make([]uint32, 4), filled(4, 5)...)...)},
		{"VCVTPS2PD", "VMOVUPS (SI), X1\n VCVTPS2PD X1, Y2\n VCVTPS2PD 4(SI), Z3\n VMOVUPS Y2, (DI)\n VMOVUPS X3, 32(DI)", nil,
			doubles(1, 2, 3, 4, 2, 3)},
		{"VADDPD VFMADD231PD VHADDPD", "VMOVUPS (SI), X1\n VCVTPS2PD X1, Y2\n VADDPD Y2, Y2, Y3\n VFMADD231PD Y2, Y2, Y3\n VHADDPD Y3, Y2, Y4\n" +
			" VMOVUPS Y3, (DI)\n VMOVUPS Y4, 32(DI)", nil, doubles(3, 8, 15, 24, 3, 11, 7, 39)},
		{"VFMADD213PD VFMADD132PD mem", "VMOVUPS (SI), X1\n VCVTPS2PD X1, Y2\n VMOVUPS Y2, (DI)\n VMOVUPS Y2, Y5\n VMOVUPS Y2, Y6\n" +
			" VFMADD213PD (DI), Y2, Y5\n VFMADD132PD (DI), Y5, Y6\n VMOVUPS Y5, (DI)\n VMOVUPS Y6, 32(DI)", nil, doubles(2, 6, 12, 20, 3, 10, 21, 36)},
		{"VXORPD", "VMOVUPS (SI), Z1\n VXORPD Z1, Z1, Z1\n VMOVUPS Z1, (DI)", filled(16, 1), make([]uint32, 16)},
		// tbl's indices 1, 2, 0xffffffff and 0x80000000 choose lanes 1, 2,
		// 7 (15 on Z) and 0; the X load zeroes the rest.
		{"VPERMPS mem VPERMD", "VMOVDQU tbl<>(SB), X1\n VPERMPS (SI), Y1, Y2\n VMOVDQU 32(SI), Y3\n VPERMD Y3, Y1, Y4\n" +
			" VMOVUPS Y2, (DI)\n VMOVDQU Y4, 32(DI)", nil, append(fl(2, 3, 8, 1, 1, 1, 1, 1), fl(10, 11, 16, 9, 9, 9, 9, 9)...)},
		{"VPERMPS Z under a mask", seven + " VMOVDQU tbl<>(SB), X1\n MOVL $0x8006, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z2\n" +
			" VPERMPS Z2, Z1, K1, Z0\n VMOVUPS Z0, (DI)", nil, append(fl(7, 3, 16), append(filled(12, 7), bitsOf(1))...)},
		{"VPERMD.Z in place", "VMOVDQU tbl<>(SB), X1\n MOVL $0x0005, AX\n KMOVW AX, K1\n VMOVUPS (SI), Z2\n" +
			" VPERMD.Z Z2, Z1, K1, Z1\n VMOVUPS Z1, (DI)", nil, append(fl(2, 0, 16), make([]uint32, 13)...)},
		{"VBLENDVPS mem", "VMOVDQU tbl<>(SB), X1\n VBROADCASTSS (SI), X2\n VBLENDVPS X1, 16(SI), X2, X3\n VMOVUPS X3, (DI)", nil, fl(1, 1, 7, 8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tc.out
			if out == nil {
				out = make([]uint32, 32)
			}
			got, err := runBody(t, strings.ReplaceAll(tc.body, "\n ", "\n\t"), count(16), out)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range tc.want {
				if got[i] != w {
					t.Errorf("out[%d] = %#08x (%g), want %#08x (%g)", i, got[i], math.Float32frombits(got[i]), w, math.Float32frombits(w))
				}
			}
		})
	}
}

// TestFaultSuppression checks that masked-off lanes do not access memory,
// and that accesses outside the arguments' len are faults.
func TestFaultSuppression(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		fault      bool
	}{
		{"masked load past the end", "MOVL $0x7, AX\n KMOVW AX, K1\n VMOVUPS.Z (SI), K1, Z0", false},
		{"unmasked load past the end", "VMOVUPS (SI), Z0", true},
		{"masked load reaching past the end", "MOVL $0xf, AX\n KMOVW AX, K1\n VMOVUPS.Z (SI), K1, Z0", true},
		{"masked store past the end", "MOVL $0x7, AX\n KMOVW AX, K1\n VMOVUPS Z0, K1, (DI)", false},
		{"masked FMA from memory past the end", "MOVL $0x7, AX\n KMOVW AX, K1\n VFMADD231PS (SI), Z1, K1, Z2", false},
		{"BCST with an empty mask does not read", "MOVL $0, AX\n KMOVW AX, K1\n VADDPS.BCST 4000(SI), Z0, K1, Z0", false},
		{"BCST with a lane reads", "MOVL $1, AX\n KMOVW AX, K1\n VADDPS.BCST 4000(SI), Z0, K1, Z0", true},
		// tbl selects lanes 2 and 3.
		{"VMASKMOVPS load, unselected lanes before the start", "VMOVDQU tbl<>(SB), X1\n VMASKMOVPS -8(SI), X1, X2", false},
		{"VMASKMOVPS store, unselected lanes before the start", "VMOVDQU tbl<>(SB), X1\n VMASKMOVPS X2, X1, -8(DI)", false},
		{"VMASKMOVPS load, a selected lane past the end", "VMOVDQU tbl<>(SB), X1\n VMASKMOVPS 4(SI), X1, X2", true},
		{"load before the start", "MOVL -4(SI), AX", true},
		{"store into read-only data", "MOVL $1, AX\n MOVL AX, tbl<>+4(SB)", true},
		{"load past the end of data", "MOVL tbl<>+16(SB), AX", true},
		{"wild pointer", "MOVQ $0x1234, AX\n MOVL (AX), BX", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runBody(t, strings.ReplaceAll(tc.body, "\n ", "\n\t"), count(3), make([]uint32, 3))
			switch {
			case tc.fault && !errors.Is(err, ErrFault):
				t.Errorf("err = %v, want ErrFault", err)
			case !tc.fault && err != nil:
				t.Errorf("err = %v, want nil", err)
			}
		})
	}
}
