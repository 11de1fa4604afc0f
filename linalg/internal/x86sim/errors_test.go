package x86sim

import (
	"errors"
	"strings"
	"testing"
)

func TestCallErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       error
		line       string // the error names this source line
	}{
		{"unknown instruction", "MOVQ $1, AX\n VPSHUFB Y0, Y1, Y2", ErrUnsupported, "VPSHUFB Y0, Y1, Y2"},
		{"unknown suffix", "VADDPS.RN_SAE Z0, Z1, Z2", ErrUnsupported, "VADDPS.RN_SAE"},
		{"unknown label", "JMP nowhere", ErrUnsupported, "JMP nowhere"},
		{"unknown symbol", "MOVL missing<>(SB), AX", ErrUnsupported, "missing<>"},
		{"mixed widths", "VADDPS X0, Y1, Y2", ErrUnsupported, "VADDPS X0, Y1, Y2"},
		{"VMASKMOVPS on Z", "VMASKMOVPS (SI), Z1, Z2", ErrUnsupported, "VMASKMOVPS"},
		{".Z without a mask", "VMOVUPS.Z (SI), Z1", ErrUnsupported, "VMOVUPS.Z"},
		{".Z on a store", "VMOVUPS.Z Z1, K1, (SI)", ErrUnsupported, "VMOVUPS.Z"},
		{"two memory operands", "MOVQ (SI), (DI)", ErrUnsupported, "MOVQ (SI), (DI)"},
		{"shift by a register other than CX", "SHLQ BX, AX", ErrUnsupported, "SHLQ BX, AX"},
		{"SP", "MOVQ SP, AX", ErrUnsupported, "MOVQ SP, AX"},
		{"8-bit register op", "MOVB $1, AX", ErrUnsupported, "MOVB"},
		{"jump on flags IMUL left undefined", "MOVQ $2, AX\n IMULQ AX, AX\n JZ done\ndone:", ErrUnsupported, "JZ done"},
		{"jump on flags nothing set", "JEQ done\ndone:", ErrUnsupported, "JEQ done"},
		{"jump on OF after a shift by 2", "MOVQ $1, AX\n SHLQ $2, AX\n JOS done\ndone:", ErrUnsupported, "JOS done"},
		{"step limit", "loop:\n JMP loop", ErrStepLimit, "JMP loop"},
		{"fault", "MOVQ 24(SI), AX", ErrFault, "MOVQ 24(SI), AX"},
		{"VROUNDPS has no EVEX form", "VROUNDPS $0, Z1, Z2", ErrUnsupported, "VROUNDPS $0, Z1, Z2"},
		{"VROUNDPS immediate", "VROUNDPS $0x10, Y1, Y2", ErrUnsupported, "VROUNDPS $0x10"},
		{"VCMPPS into a Z register", "VCMPPS $1, Z1, Z2, Z3", ErrUnsupported, "VCMPPS $1, Z1, Z2, Z3"},
		{"VCMPPS predicate", "VCMPPS $32, Y1, Y2, Y3", ErrUnsupported, "VCMPPS $32"},
		{"VADDPD under an opmask", "VADDPD Z1, Z2, K1, Z3", ErrUnsupported, "VADDPD Z1"},
		{"VADDPD.BCST", "VADDPD.BCST (SI), Z2, Z3", ErrUnsupported, "VADDPD.BCST"},
		{"VHADDPD on Z", "VHADDPD Z1, Z2, Z3", ErrUnsupported, "VHADDPD Z1"},
		{"VEXTRACTF128 from Z", "VEXTRACTF128 $1, Z1, X2", ErrUnsupported, "VEXTRACTF128 $1, Z1"},
		{"VEXTRACTF64X4 part 2", "VEXTRACTF64X4 $2, Z1, Y2", ErrUnsupported, "VEXTRACTF64X4 $2"},
		{"VEXTRACTF32X4 under an opmask", "VEXTRACTF32X4 $1, Z1, K1, X2", ErrUnsupported, "VEXTRACTF32X4"},
		{"VCVTPS2PD widths", "VCVTPS2PD Y1, Y2", ErrUnsupported, "VCVTPS2PD Y1, Y2"},
		{"MOVSS into Y", "MOVSS (SI), Y1", ErrUnsupported, "MOVSS (SI), Y1"},
		{"MOVSS into X16", "MOVSS (SI), X16", ErrUnsupported, "MOVSS (SI), X16"},
		{"VMOVMSKPS of Z", "VMOVMSKPS Z1, AX", ErrUnsupported, "VMOVMSKPS Z1"},
		{"VCMPPS.BCST into a vector", "VCMPPS.BCST $1, (SI), Y1, Y2", ErrUnsupported, "VCMPPS.BCST"},
		{"VCMPPS.Z into an opmask", "VCMPPS.Z $1, Z1, Z2, K1, K2", ErrUnsupported, "VCMPPS.Z"},
		{"VBLENDVPS under an opmask", "VBLENDVPS Y1, Y2, Y3, K1, Y4", ErrUnsupported, "VBLENDVPS"},
		{"VBLENDMPS from memory", "VBLENDMPS (SI), Z1, K1, Z2", ErrUnsupported, "VBLENDMPS (SI)"},
		{"VPSRAD from memory", "VPSRAD $1, (SI), Z1", ErrUnsupported, "VPSRAD $1, (SI)"},
		{"VPSRAD by a register", "VPSRAD X1, Y1, Y2", ErrUnsupported, "VPSRAD X1"},
		{"VPERMPS on X", "VPERMPS X0, X1, X2", ErrUnsupported, "VPERMPS X0"},
		{"VPERMD from memory under an opmask", "VPERMD (SI), Z1, K1, Z2", ErrUnsupported, "VPERMD (SI)"},
		{"POPCNTQ into memory", "POPCNTQ AX, (DI)", ErrUnsupported, "POPCNTQ AX, (DI)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runBody(t, strings.ReplaceAll(tc.body, "\n ", "\n\t"), count(4), make([]uint32, 4))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.line) || !strings.Contains(err.Error(), "test.s:") {
				t.Errorf("err = %q, want it to name the line in test.s and %q", err, tc.line)
			}
		})
	}
}

// TestUnsupportedNotExecuted checks that a file loads and runs when its
// unsupported instructions are on paths not taken.
func TestUnsupportedNotExecuted(t *testing.T) {
	if _, err := runBody(t, "JMP over\n\tVPERMPS Y0, Y1, Y2\nover:\n\tMOVL $1, (DI)", nil, []uint32{0}); err != nil {
		t.Fatal(err)
	}
}

func TestCallFrameErrors(t *testing.T) {
	p := program(t, "")
	for _, tc := range []struct {
		name, fn string
		frame    *Frame
		want     error
	}{
		{"unknown function", "g", NewFrame().Slice(nil).Slice(nil), ErrNoFunction},
		{"frame too small", "f", NewFrame().Slice(nil), ErrFrame},
		{"frame too large", "f", NewFrame().Slice(nil).Slice(nil).Int(1), ErrFrame},
		{"qualified name", "·f", NewFrame().Slice(nil).Slice(nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := p.Call(tc.fn, tc.frame); !errors.Is(err, tc.want) {
				t.Errorf("Call(%q) = %v, want %v", tc.fn, err, tc.want)
			}
		})
	}
	noRet, err := Parse("noret.s", []byte("TEXT ·h(SB), NOSPLIT, $0-0\n\tMOVQ $1, AX\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noRet.Call("h", NewFrame()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("running past the end: err = %v, want ErrUnsupported", err)
	}
	local, err := Parse("local.s", []byte("TEXT ·h(SB), NOSPLIT, $16-0\n\tRET\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := local.Call("h", NewFrame()); !errors.Is(err, ErrFrame) {
		t.Errorf("local frame: err = %v, want ErrFrame", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"macro", "#define X 1\n", "x.s:1: preprocessor directive"},
		{"DATA without GLOBL", "DATA t<>+0(SB)/4, $1\n", "t<> has no GLOBL"},
		{"DATA beyond GLOBL", "DATA t<>+4(SB)/4, $1\nGLOBL t<>(SB), RODATA, $4\n", "exceed its GLOBL size"},
		{"DATA of size 3", "DATA t<>+0(SB)/3, $1\n", "x.s:1: DATA size"},
		{"GLOBL twice", "GLOBL t<>(SB), RODATA, $4\nGLOBL t<>(SB), RODATA, $4\n", "x.s:2: GLOBL t<> twice"},
		{"label twice", "TEXT ·f(SB), $0-0\na:\na:\n\tRET\n", "x.s:3: label a defined twice"},
		{"function twice", "TEXT ·f(SB), $0-0\n\tRET\nTEXT ·f(SB), $0-0\n\tRET\n", "x.s:3: function f defined twice"},
		{"instruction outside TEXT", "\tRET\n", "x.s:1: instruction outside a TEXT block"},
		{"bad TEXT", "TEXT ·f(SB)\n", "x.s:1: malformed TEXT line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.s", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestParseSyntax checks comments, labels sharing a line with an
// instruction, and DATA values of every form.
func TestParseSyntax(t *testing.T) {
	src := `// a file comment
/* a block
   comment */ #include "textflag.h"
DATA c<>+0(SB)/8, $0x0102030405060708
DATA c<>+8(SB)/4, $(1.5)
DATA c<>+12(SB)/2, $-2
DATA c<>+14(SB)/1, $7
GLOBL c<>(SB), RODATA|NOPTR, $16

TEXT ·f(SB),NOSPLIT,$0-24 // no spaces
start: MOVQ out_base+0(FP), DI /* inline */ // and trailing
	MOVQ c<>+0(SB), AX
	MOVQ AX, (DI)
	MOVQ c<>+8(SB), AX
	MOVQ AX, 8(DI)
	RET
`
	p, err := Parse("syntax.s", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, 4)
	if _, err := p.Call("f", NewFrame().Slice(out)); err != nil {
		t.Fatal(err)
	}
	want := []uint32{0x05060708, 0x01020304, bitsOf(1.5), 0x07fffe}
	for i, w := range want {
		if got := bitsOf(out[i]); got != w {
			t.Errorf("out[%d] = %#x, want %#x", i, got, w)
		}
	}
}

// TestFrameResults checks that results follow the arguments at an offset
// aligned to 8, and that Call stores them.
func TestFrameResults(t *testing.T) {
	src := `TEXT ·f(SB), NOSPLIT, $0-40
	MOVQ $0x4000000000000000, AX
	MOVQ AX, ret+32(FP)
	RET
TEXT ·g(SB), NOSPLIT, $0-32
	MOVL $0x40400000, AX
	MOVL AX, ret+24(FP)
	MOVL AX, ret1+28(FP)
	RET
TEXT ·h(SB), NOSPLIT, $0-16
	MOVLQSX c+4(FP), AX
	MOVQ AX, ret+8(FP)
	RET
`
	p, err := Parse("results.s", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var f64 float64
	var f32a, f32b float32 = 1, 1
	if _, err := p.Call("f", NewFrame().Slice(nil).Float32(1).Float64Result(&f64)); err != nil || f64 != 2 {
		t.Errorf("f: result %g, err %v; want 2, nil", f64, err)
	}
	if _, err := p.Call("g", NewFrame().Slice(nil).Float32Result(&f32a).Float32Result(&f32b)); err != nil || f32a != 3 || f32b != 3 {
		t.Errorf("g: results %g %g, err %v; want 3 3, nil", f32a, f32b, err)
	}
	var i int
	if _, err := p.Call("h", NewFrame().Float32(1).Int32(-5).IntResult(&i)); err != nil || i != -5 {
		t.Errorf("h: result %d, err %v; want -5, nil", i, err)
	}
}

// TestFrameLayout checks ABI0 offsets: a float32 takes 4 bytes, the next
// 8-byte value is aligned to 8, and a trailing float32 is not padded.
func TestFrameLayout(t *testing.T) {
	f := NewFrame().Int(1).Float32(2).Float32(3).Float32(4).Slice(make([]float32, 5)).Float32(6)
	for _, tc := range []struct {
		off  int
		want uint64
		size int8
	}{
		{0, 1, 8}, {8, uint64(bitsOf(2)), 4}, {12, uint64(bitsOf(3)), 4}, {16, uint64(bitsOf(4)), 4},
		{32, 5, 8}, {40, 5, 8}, {48, uint64(bitsOf(6)), 4},
	} {
		if got := loadLE(f.buf[tc.off:], tc.size); got != tc.want {
			t.Errorf("frame word at %d = %#x, want %#x", tc.off, got, tc.want)
		}
	}
	if f.Size() != 52 {
		t.Errorf("Size() = %d, want 52", f.Size())
	}
}

// TestInt32Slice checks an []int32 argument: its header's words, its
// elements, and a fault past its len (within its cap).
func TestInt32Slice(t *testing.T) {
	src := `TEXT ·f(SB), NOSPLIT, $0-48
	MOVQ idx_base+0(FP), SI
	MOVQ out_base+24(FP), DI
	MOVLQSX 4(SI), AX
	MOVQ AX, (DI)
	MOVQ idx_cap+16(FP), AX
	MOVQ AX, 8(DI)
	RET
TEXT ·g(SB), NOSPLIT, $0-48
	MOVQ idx_base+0(FP), SI
	MOVL 8(SI), AX
	RET
`
	p, err := Parse("int32.s", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	idx := []int32{1, -7, 3}[:2]
	out := make([]float32, 4)
	if _, err := p.Call("f", NewFrame().Int32Slice(idx).Slice(out)); err != nil {
		t.Fatal(err)
	}
	for i, w := range append(q(0xfffffffffffffff9), q(3)...) {
		if got := bitsOf(out[i]); got != w {
			t.Errorf("out[%d] = %#x, want %#x", i, got, w)
		}
	}
	if _, err := p.Call("g", NewFrame().Int32Slice(idx).Slice(out)); !errors.Is(err, ErrFault) {
		t.Errorf("load of idx[2], past len(idx): err = %v, want ErrFault", err)
	}
}
