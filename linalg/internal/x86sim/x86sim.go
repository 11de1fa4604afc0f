// Package x86sim runs x86-64 kernels written in Go assembler (Plan 9
// syntax) in software, so that kernels for instruction sets the machine
// lacks (AVX-512 on an AVX2 machine or CI runner) can be tested against
// the generic Go kernels.
//
// It interprets the subset of the language mlpgo's generated kernels use:
// DATA/GLOBL read-only data, TEXT functions with a $0 local frame and
// ABI0 arguments, labels, the integer instructions for loops and address
// arithmetic, and the AVX, AVX2, FMA and AVX-512F instructions on float32
// and int32 lanes that [Program.Call] lists.
// Semantics follow the hardware bit for bit, including single-rounding
// FMA, x86 NaN propagation, zeroing of the bits above a VEX or EVEX
// destination, opmask merging and zeroing, and fault suppression: a
// masked-off lane never touches memory.
//
// Memory is the caller's: a [Frame] holds the arguments, and the kernel's
// loads and stores go to the backing arrays of the slices in it. Every
// access is checked against the bounds of those slices (their len, not
// their cap), the frame and the file's DATA symbols; an access outside
// them stops the call with [ErrFault] instead of touching other memory.
// To make that check exact, and safe even for slices on a goroutine stack
// that moves, the simulated address of a slice element is not its host
// address: each argument slice, the frame and each DATA symbol gets its
// own 4 GiB window of a simulated address space (keeping the low 12 bits
// of the host address, so alignment is as on the host), and accesses are
// mapped back to the Go memory behind it. Registers start with garbage
// (signalling NaNs in the vector registers), so a kernel that reads one
// it never wrote gives a visibly wrong result.
//
// Anything outside the subset (an unknown mnemonic, suffix or operand
// form, a jump to an unknown label, a conditional jump on a flag the last
// instruction left undefined) is reported as an [ErrUnsupported] error
// naming the file and line when the instruction is executed; it never
// gives a wrong result. Parsing is lenient so that a file can be loaded
// for the functions the simulator does support.
package x86sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Errors a Call can return, for errors.Is. The returned error wraps one of
// them with the file, line and instruction.
var (
	// ErrUnsupported reports an instruction, suffix or operand form the
	// simulator does not implement, or a jump to an unknown label.
	ErrUnsupported = errors.New("unsupported")
	// ErrFault reports an access outside the argument slices, the frame
	// and the DATA symbols, or a store to a DATA symbol.
	ErrFault = errors.New("memory fault")
	// ErrStepLimit reports that a call ran more than MaxSteps instructions.
	ErrStepLimit = errors.New("step limit exceeded")
	// ErrNoFunction reports a Call of a function the file does not define.
	ErrNoFunction = errors.New("no such function")
	// ErrFrame reports a frame whose size differs from the argument size
	// the function declares, or a function with a local stack frame.
	ErrFrame = errors.New("bad frame")
)

// DefaultMaxSteps is the step limit of a Program whose MaxSteps is zero.
const DefaultMaxSteps = 100_000_000

// A Program is a parsed assembly file. It is immutable after Load except
// for MaxSteps, and Calls may run concurrently.
type Program struct {
	// MaxSteps bounds the number of instructions one Call executes; zero
	// means DefaultMaxSteps.
	MaxSteps int64

	file  string
	funcs map[string]*function
	syms  []symbol // DATA symbols, in the order of their first GLOBL or DATA line
}

// A function is one TEXT block.
type function struct {
	name      string
	line      int
	frameSize int64 // local frame size, the $N in $N-M
	argSize   int64 // argument size, the M in $N-M; -1 if not declared
	code      []inst
}

// A symbol is a DATA/GLOBL symbol: read-only bytes with a fixed simulated
// base address (region index 1+i).
type symbol struct {
	name string
	data []byte
	size int64 // from GLOBL; -1 until seen
}

// Load reads and parses the Go assembly file at path.
func Load(path string) (*Program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("x86sim: %w", err)
	}
	return Parse(filepath.Base(path), src)
}

// Parse parses Go assembly text; name is used in error messages. It
// reports malformed DATA, GLOBL and TEXT lines, preprocessor directives
// other than #include, and duplicate labels or functions; unsupported
// instructions are reported when executed (see the package comment).
func Parse(name string, src []byte) (*Program, error) {
	p := &parser{prog: &Program{file: name, funcs: map[string]*function{}}, symIndex: map[string]int{}}
	if err := p.parse(string(src)); err != nil {
		return nil, fmt.Errorf("x86sim: %w", err)
	}
	return p.prog, nil
}

// funcName strips a package qualifier (pkg·Name or ·Name) from a TEXT
// symbol.
func funcName(sym string) string {
	if i := strings.LastIndex(sym, "·"); i >= 0 {
		return sym[i+len("·"):]
	}
	return sym
}
