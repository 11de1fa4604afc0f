package x86sim

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// An inst is one parsed instruction, checked once at parse time so that
// execution only dispatches on op.
type inst struct {
	op     opcode
	size   int8 // operand size in bytes of integer, KMOV and scalar moves; the lanes VEXTRACT moves
	cond   cond // condition of a conditional jump
	mask   uint8
	zero   bool  // .Z: zero the masked-off lanes instead of merging
	pd     bool  // the lanes are float64s, pairs of the simulator's float32 lanes
	bcst   bool  // .BCST: the memory operand is one float32 for all lanes
	lanes  int8  // vector length in float32 lanes: 4 (X), 8 (Y) or 16 (Z)
	nargs  int8  // operands in args, in Go order (sources first)
	target int32 // jump target, an index into the function's code
	args   [4]operand
	line   int32
	text   string // the source text, for errors
	err    error  // for op == opInvalid: why the line cannot be executed
}

type operandKind uint8

const (
	kNone  operandKind = iota
	kGPR               // AX ... R15
	kVec               // X0 ... Z31
	kMask              // K0 ... K7
	kImm               // $42
	kMem               // 8(BX)(CX*4), name+8(FP), sym<>+4(SB)
	kAddr              // $sym<>+4(SB): the address as an immediate
	kLabel             // a jump target
)

type operand struct {
	kind  operandKind
	reg   uint8 // register number
	lanes int8  // vector register width in float32 lanes
	imm   int64
	mem   memRef
	name  string // label, or the DATA symbol of an SB operand until resolved
}

// Pseudo-registers at the end of machine.gpr, so that every address is
// disp + gpr[base] + gpr[index]*scale with no branches.
const (
	regFP   = 16 // holds the frame's simulated address
	regZero = 17 // always zero: no base, no index, or SB (its base is in disp)
	numRegs = 18
)

// A memRef is a memory operand. For SB operands disp includes the symbol's
// simulated address once the symbol is resolved.
type memRef struct {
	base, index, scale uint8
	disp               int64
}

// Registers by Go assembler name.
var registers = func() map[string]operand {
	r := map[string]operand{}
	for i, name := range []string{"AX", "CX", "DX", "BX", "", "BP", "SI", "DI"} {
		if name != "" {
			r[name] = operand{kind: kGPR, reg: uint8(i)}
		}
	}
	for i := 8; i < 16; i++ {
		r[fmt.Sprintf("R%d", i)] = operand{kind: kGPR, reg: uint8(i)}
	}
	for i := 0; i < 32; i++ {
		r[fmt.Sprintf("X%d", i)] = operand{kind: kVec, reg: uint8(i), lanes: 4}
		r[fmt.Sprintf("Y%d", i)] = operand{kind: kVec, reg: uint8(i), lanes: 8}
		r[fmt.Sprintf("Z%d", i)] = operand{kind: kVec, reg: uint8(i), lanes: 16}
	}
	for i := 0; i < 8; i++ {
		r[fmt.Sprintf("K%d", i)] = operand{kind: kMask, reg: uint8(i)}
	}
	return r
}()

type parser struct {
	prog     *Program
	fn       *function
	labels   map[string]int
	symIndex map[string]int
	symRefs  []symRef // SB operands to resolve at the end
}

// A symRef is an SB operand waiting for its symbol's address.
type symRef struct {
	fn  *function
	pc  int
	arg int
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: "+format, append([]any{p.prog.file, line}, args...)...)
}

func (p *parser) parse(src string) error {
	inComment := false
	for i, raw := range strings.Split(src, "\n") {
		line := i + 1
		text := strings.TrimSpace(stripComments(raw, &inComment))
		if text == "" {
			continue
		}
		if text[0] == '#' {
			if strings.HasPrefix(text, "#include") {
				continue
			}
			return p.errorf(line, "preprocessor directive %q: %w", text, ErrUnsupported)
		}
		for {
			label, rest, ok := splitLabel(text)
			if !ok {
				break
			}
			if p.fn == nil {
				return p.errorf(line, "label %s outside a TEXT block", label)
			}
			if _, dup := p.labels[label]; dup {
				return p.errorf(line, "label %s defined twice", label)
			}
			p.labels[label] = len(p.fn.code)
			text = rest
		}
		if text == "" {
			continue
		}
		mnemonic, rest := text, ""
		if i := strings.IndexAny(text, " \t"); i >= 0 {
			mnemonic, rest = text[:i], text[i+1:]
		}
		args := splitArgs(rest)
		var err error
		switch mnemonic {
		case "TEXT":
			err = p.text(line, args)
		case "DATA":
			err = p.data(line, args)
		case "GLOBL":
			err = p.globl(line, args)
		default:
			if p.fn == nil {
				return p.errorf(line, "instruction outside a TEXT block: %s", text)
			}
			p.fn.code = append(p.fn.code, p.inst(line, text, mnemonic, args))
		}
		if err != nil {
			return err
		}
	}
	if err := p.endFunction(); err != nil {
		return err
	}
	return p.resolveSymbols()
}

// stripComments removes // and /* */ comments; inComment carries an open
// block comment from one line to the next.
func stripComments(line string, inComment *bool) string {
	var b strings.Builder
	for len(line) > 0 {
		if *inComment {
			end := strings.Index(line, "*/")
			if end < 0 {
				return b.String()
			}
			line, *inComment = line[end+2:], false
			continue
		}
		i := strings.IndexByte(line, '/')
		if i < 0 || i+1 >= len(line) {
			b.WriteString(line)
			break
		}
		switch line[i+1] {
		case '/':
			b.WriteString(line[:i])
			return b.String()
		case '*':
			b.WriteString(line[:i])
			b.WriteByte(' ')
			line, *inComment = line[i+2:], true
		default:
			b.WriteString(line[:i+1])
			line = line[i+1:]
		}
	}
	return b.String()
}

// splitLabel splits "name: rest" into its label and the rest of the line.
func splitLabel(text string) (label, rest string, ok bool) {
	i := 0
	for i < len(text) && (text[i] == '_' || isAlnum(text[i])) {
		i++
	}
	if i == 0 || i >= len(text) || text[i] != ':' || isDigit(text[0]) {
		return "", text, false
	}
	return text[:i], strings.TrimSpace(text[i+1:]), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdent(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '_' && !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// splitArgs splits an operand list at the commas outside parentheses.
func splitArgs(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var args []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(args, strings.TrimSpace(s[start:]))
}

// text starts a function: TEXT ·Name(SB), FLAGS, $frame-args.
func (p *parser) text(line int, args []string) error {
	if err := p.endFunction(); err != nil {
		return err
	}
	if len(args) < 2 || !strings.HasSuffix(args[0], "(SB)") || !strings.HasPrefix(args[len(args)-1], "$") {
		return p.errorf(line, "malformed TEXT line")
	}
	name := funcName(strings.TrimSuffix(args[0], "(SB)"))
	if _, dup := p.prog.funcs[name]; dup {
		return p.errorf(line, "function %s defined twice", name)
	}
	frame, argSize, hasArgs := strings.Cut(args[len(args)-1][1:], "-")
	fn := &function{name: name, line: line, argSize: -1}
	var err error
	if fn.frameSize, err = strconv.ParseInt(frame, 0, 64); err != nil {
		return p.errorf(line, "TEXT frame size %q: %v", frame, err)
	}
	if hasArgs {
		if fn.argSize, err = strconv.ParseInt(argSize, 0, 64); err != nil {
			return p.errorf(line, "TEXT argument size %q: %v", argSize, err)
		}
	}
	p.prog.funcs[name] = fn
	p.fn, p.labels = fn, map[string]int{}
	return nil
}

// endFunction resolves the jump targets of the current function.
func (p *parser) endFunction() error {
	if p.fn == nil {
		return nil
	}
	for i := range p.fn.code {
		in := &p.fn.code[i]
		if in.op != opJMP && in.op != opJcc {
			continue
		}
		target, ok := p.labels[in.args[0].name]
		if !ok {
			*in = invalid(*in, fmt.Errorf("jump to unknown label %s: %w", in.args[0].name, ErrUnsupported))
			continue
		}
		in.target = int32(target)
	}
	p.fn = nil
	return nil
}

// symbol returns the index of the DATA symbol name, creating it.
func (p *parser) symbol(name string) int {
	if i, ok := p.symIndex[name]; ok {
		return i
	}
	p.symIndex[name] = len(p.prog.syms)
	p.prog.syms = append(p.prog.syms, symbol{name: name, size: -1})
	return len(p.prog.syms) - 1
}

// data handles DATA sym+off(SB)/size, $value.
func (p *parser) data(line int, args []string) error {
	if len(args) != 2 {
		return p.errorf(line, "malformed DATA line")
	}
	target, sizeText, ok := strings.Cut(args[0], "/")
	symText, okSB := strings.CutSuffix(target, "(SB)")
	if !ok || !okSB {
		return p.errorf(line, "malformed DATA line")
	}
	name, off, err := splitSymbolOffset(symText)
	if err != nil {
		return p.errorf(line, "DATA %s: %v", symText, err)
	}
	size, err := strconv.Atoi(sizeText)
	if err != nil || (size != 1 && size != 2 && size != 4 && size != 8) {
		return p.errorf(line, "DATA size %q: want 1, 2, 4 or 8", sizeText)
	}
	value, err := dataValue(args[1], size)
	if err != nil {
		return p.errorf(line, "DATA value %s: %v", args[1], err)
	}
	if off < 0 {
		return p.errorf(line, "DATA offset %d < 0", off)
	}
	s := &p.prog.syms[p.symbol(name)]
	if end := int(off) + size; end > len(s.data) {
		s.data = append(s.data, make([]byte, end-len(s.data))...)
	}
	storeLE(s.data[off:], size, value)
	return nil
}

// dataValue parses a DATA value: an integer or a floating-point constant.
func dataValue(text string, size int) (uint64, error) {
	lit, ok := strings.CutPrefix(text, "$")
	if !ok {
		return 0, fmt.Errorf("want $constant: %w", ErrUnsupported)
	}
	if v, err := parseInt(lit); err == nil {
		return uint64(v), nil
	}
	f, err := strconv.ParseFloat(strings.Trim(lit, "()"), 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("not an integer or float constant: %w", ErrUnsupported)
	case size == 4:
		return uint64(math.Float32bits(float32(f))), nil
	case size == 8:
		return math.Float64bits(f), nil
	}
	return 0, fmt.Errorf("float constant of size %d", size)
}

// globl handles GLOBL sym(SB), FLAGS, $size.
func (p *parser) globl(line int, args []string) error {
	if len(args) < 2 || !strings.HasPrefix(args[len(args)-1], "$") {
		return p.errorf(line, "malformed GLOBL line")
	}
	name, ok := strings.CutSuffix(args[0], "(SB)")
	if !ok {
		return p.errorf(line, "malformed GLOBL line")
	}
	size, err := strconv.ParseInt(args[len(args)-1][1:], 0, 64)
	if err != nil || size < 0 {
		return p.errorf(line, "GLOBL size %q", args[len(args)-1])
	}
	s := &p.prog.syms[p.symbol(name)]
	if s.size >= 0 {
		return p.errorf(line, "GLOBL %s twice", name)
	}
	s.size = size
	return nil
}

// resolveSymbols sizes the DATA symbols, gives them their simulated
// addresses and patches the SB operands that refer to them.
func (p *parser) resolveSymbols() error {
	for i := range p.prog.syms {
		s := &p.prog.syms[i]
		switch {
		case s.size < 0:
			return fmt.Errorf("%s: DATA symbol %s has no GLOBL", p.prog.file, s.name)
		case int64(len(s.data)) > s.size:
			return fmt.Errorf("%s: DATA symbol %s: data of %d bytes exceed its GLOBL size %d", p.prog.file, s.name, len(s.data), s.size)
		case s.size > maxRegion:
			return fmt.Errorf("%s: DATA symbol %s: %d bytes: %w", p.prog.file, s.name, s.size, ErrUnsupported)
		}
		s.data = append(s.data, make([]byte, s.size-int64(len(s.data)))...)
	}
	for _, r := range p.symRefs {
		in := &r.fn.code[r.pc]
		if in.op == opInvalid {
			continue
		}
		a := &in.args[r.arg]
		i, ok := p.symIndex[a.name]
		if !ok {
			*in = invalid(*in, fmt.Errorf("unknown symbol %s: %w", a.name, ErrUnsupported))
			continue
		}
		a.mem.disp += int64(p.prog.symBase(i))
	}
	return nil
}

// symBase is the simulated address of DATA symbol i: window 2+i.
func (p *Program) symBase(i int) uint64 {
	return windowBase(2+i, p.syms[i].data)
}

// windowBase is the simulated address of the first byte of data in window
// w: the window's start plus the low 12 bits of data's host address.
func windowBase(w int, data []byte) uint64 {
	return uint64(w)<<windowBits | uint64(uintptr(unsafe.Pointer(unsafe.SliceData(data))))&0xfff
}

const (
	windowBits = 32
	// maxRegion is the largest region (slice, frame or DATA symbol) one
	// window holds.
	maxRegion = 1<<windowBits - 1<<12
)

// splitSymbolOffset splits "sym<>+8" into "sym<>" and 8, "sym<>" into
// "sym<>" and 0, and "8" or "-8" into "" and the number.
func splitSymbolOffset(s string) (string, int64, error) {
	if v, err := parseInt(s); err == nil {
		return "", v, nil
	}
	i := strings.LastIndexAny(s, "+-")
	if i < 0 {
		return s, 0, nil
	}
	off, err := parseInt(s[i:])
	return s[:i], off, err
}

// parseInt parses an integer literal: decimal, 0x hex, 0 octal or 0b
// binary, optionally signed and parenthesized. Values up to 1<<64-1 are
// accepted and wrap to int64, as the assembler does.
func parseInt(s string) (int64, error) {
	if len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		s = s[1 : len(s)-1]
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, nil
	}
	neg := strings.HasPrefix(s, "-")
	u, err := strconv.ParseUint(strings.TrimLeft(s, "+-"), 0, 64)
	if err != nil {
		return 0, fmt.Errorf("integer %q: %w", s, ErrUnsupported)
	}
	if neg {
		u = -u
	}
	return int64(u), nil
}

// operand parses one operand. SB operands keep the symbol in name for
// resolveSymbols.
func parseOperand(s string) (operand, error) {
	if r, ok := registers[s]; ok {
		return r, nil
	}
	switch {
	case s == "SP" || s == "PC":
		return operand{}, fmt.Errorf("register %s: %w", s, ErrUnsupported)
	case strings.HasPrefix(s, "$") && strings.HasSuffix(s, "(SB)"):
		m, err := parseMemory(s[1:])
		m.kind = kAddr
		return m, err
	case strings.HasPrefix(s, "$"):
		v, err := parseInt(s[1:])
		return operand{kind: kImm, imm: v}, err
	case strings.Contains(s, "("):
		return parseMemory(s)
	case isIdent(s):
		return operand{kind: kLabel, name: s}, nil
	}
	return operand{}, fmt.Errorf("operand %q: %w", s, ErrUnsupported)
}

// parseMemory parses disp(base) or disp(base)(index*scale), where base is
// a register, FP (disp is name+off) or SB (disp is sym+off).
func parseMemory(s string) (operand, error) {
	bad := fmt.Errorf("memory operand %q: %w", s, ErrUnsupported)
	open := strings.IndexByte(s, '(')
	disp, rest := s[:open], s[open:]
	var groups []string
	for rest != "" {
		end := strings.IndexByte(rest, ')')
		if rest[0] != '(' || end < 0 {
			return operand{}, bad
		}
		groups = append(groups, rest[1:end])
		rest = rest[end+1:]
	}
	if len(groups) < 1 || len(groups) > 2 {
		return operand{}, bad
	}
	op := operand{kind: kMem, mem: memRef{base: regZero, index: regZero, scale: 1}}
	switch base := groups[0]; base {
	case "SB":
		name, off, err := splitSymbolOffset(disp)
		if err != nil || name == "" {
			return operand{}, bad
		}
		op.name, op.mem.disp = name, off
	case "FP":
		_, off, err := splitSymbolOffset(disp)
		if err != nil {
			return operand{}, bad
		}
		op.mem.base, op.mem.disp = regFP, off
	default:
		r, ok := registers[base]
		if !ok || r.kind != kGPR {
			return operand{}, bad
		}
		op.mem.base = r.reg
		if disp != "" {
			v, err := parseInt(disp)
			if err != nil {
				return operand{}, bad
			}
			op.mem.disp = v
		}
	}
	if len(groups) == 2 {
		reg, scaleText, ok := strings.Cut(groups[1], "*")
		r, isReg := registers[reg]
		scale, err := strconv.Atoi(scaleText)
		if !ok || !isReg || r.kind != kGPR || err != nil || (scale != 1 && scale != 2 && scale != 4 && scale != 8) {
			return operand{}, bad
		}
		op.mem.index, op.mem.scale = r.reg, uint8(scale)
	}
	return op, nil
}

func loadLE(b []byte, size int8) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func storeLE(b []byte, size int, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(v))
	default:
		binary.LittleEndian.PutUint64(b, v)
	}
}
