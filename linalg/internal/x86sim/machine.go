package x86sim

import (
	"fmt"
	"math/bits"
)

// A region is memory the kernel may access, in a window of the simulated
// address space.
type region struct {
	name     string // a DATA symbol's; slices are named by argOff
	argOff   int    // a slice argument's offset in the frame
	base     uint64 // simulated address of data[0]
	data     []byte
	writable bool
}

func (r *region) String() string {
	if r.name != "" {
		return r.name
	}
	return fmt.Sprintf("the slice at %d(FP)", r.argOff)
}

// Flags, as bits of machine.undef.
const (
	flagZ = 1 << iota
	flagS
	flagC
	flagO
	allFlags = flagZ | flagS | flagC | flagO
)

// A machine is the architectural state of one call.
type machine struct {
	gpr      [numRegs]uint64
	vec      [32][16]uint32
	k        [8]uint64
	zf, sf   bool
	cf, of   bool
	undef    uint8 // flags the last flag-writing instruction left undefined
	regions  []region
	err      error
	src, res [16]uint32
}

// Poison values for the registers at entry, so that a kernel reading a
// register it never wrote gives a visibly wrong result.
const (
	poisonGPR  = 0xdeadbeefdeadbeef
	poisonVec  = 0xffbadbad // a signalling NaN
	poisonMask = 0xa5a5a5a5a5a5a5a5
)

// Call runs the function name (with or without its package's middle dot)
// with the arguments in f until it returns, stores its results where f's
// result declarations say, and reports the number of instructions it
// executed.
//
// The instructions are MOV, ADD, SUB, AND, OR, XOR, CMP, TEST, SHL, SHR,
// SAR, INC, DEC, NEG, NOT, LEA, IMUL, IMUL3 and POPCNT with Q and L
// suffixes (L zero-extends its result into the 64-bit register); MOVLQSX;
// the conditional jumps on ZF, SF, CF and OF, JMP and RET; PREFETCHT0,
// PREFETCHT1, PREFETCHT2 and PREFETCHNTA, which do nothing; VZEROUPPER;
// and on X, Y and Z registers VMOVUPS, VMOVDQU, VMOVDQU32, VBROADCASTSS,
// VXORPS, VANDPS, VANDNPS, VORPS, VPXORD, VPANDD, VPANDND, VPORD, VADDPS,
// VSUBPS, VMULPS, VDIVPS, VMINPS, VMAXPS, VFMADD132PS, VFMADD213PS,
// VFMADD231PS, VFNMADD132PS, VFNMADD213PS, VFNMADD231PS, VPADDD, VPSUBD,
// VRNDSCALEPS, VCVTPS2DQ and VCVTTPS2DQ with memory or register sources,
// AVX-512 opmasks (merging, or zeroing with .Z) and embedded broadcast
// (.BCST), and VPSLLD, VPSRLD and VPSRAD by an immediate; VCMPPS into a
// vector (X and Y) or, with opmasks and .BCST, into an opmask; VBLENDMPS
// and VPERMILPS by an immediate on registers; VPERMPS and VPERMD on Y and
// Z registers, from memory only without an opmask; on X and Y registers
// VROUNDPS, VBLENDVPS, VMOVMSKPS and VMASKMOVPS loads and stores;
// VEXTRACTF128, VEXTRACTF32X4 and VEXTRACTF64X4 between registers; MOVSS,
// MOVSD, VMOVSS and VMOVSD loads and stores; on float64 lanes, without
// opmasks, VXORPD, VADDPD, VHADDPD (X and Y), VCVTPS2PD, VFMADD132PD,
// VFMADD213PD and VFMADD231PD; KMOVB, KMOVW, KMOVD and KMOVQ between
// opmask registers, general registers and memory. Floating-point
// instructions compute as under the default MXCSR: round to nearest even,
// no flush to zero, exceptions masked.
//
// Call returns an error wrapping ErrNoFunction, ErrFrame, ErrUnsupported,
// ErrFault or ErrStepLimit; memory written before the error stays written.
func (p *Program) Call(name string, f *Frame) (int64, error) {
	fn := p.funcs[funcName(name)]
	switch {
	case fn == nil:
		return 0, fmt.Errorf("x86sim: %s: %s: %w", p.file, name, ErrNoFunction)
	case fn.frameSize != 0:
		return 0, fmt.Errorf("x86sim: %s: %s has a local frame of %d bytes: %w", p.file, fn.name, fn.frameSize, ErrFrame)
	case fn.argSize >= 0 && fn.argSize != int64(f.Size()):
		return 0, fmt.Errorf("x86sim: %s: %s takes %d bytes of arguments, the frame has %d: %w", p.file, fn.name, fn.argSize, f.Size(), ErrFrame)
	}
	m, err := p.newMachine(f)
	if err != nil {
		return 0, fmt.Errorf("x86sim: %s: %s: %w", p.file, fn.name, err)
	}
	maxSteps := p.MaxSteps
	if maxSteps == 0 {
		maxSteps = DefaultMaxSteps
	}
	// m's regions refer to the slices' memory, keeping it alive.
	steps, at, err := m.run(fn.code, maxSteps)
	switch {
	case err == nil:
		for _, r := range f.results {
			r.store(m.regions[1].data[r.off:])
		}
		return steps, nil
	case at == nil:
		return steps, fmt.Errorf("x86sim: %s:%d: %s: %w", p.file, fn.line, fn.name, err)
	}
	return steps, fmt.Errorf("x86sim: %s:%d: %s: %s: %w", p.file, at.line, fn.name, at.text, err)
}

// newMachine lays out the simulated address space: window 0 is unmapped,
// window 1 holds a copy of the frame, and the windows from 2 on hold the
// DATA symbols and then the argument slices.
func (p *Program) newMachine(f *Frame) (*machine, error) {
	m := &machine{undef: allFlags}
	frame := append([]byte(nil), f.buf...)
	m.regions = make([]region, 2, 2+len(p.syms)+len(f.slices))
	m.regions[1] = region{name: "the frame", base: 1 << windowBits, data: frame, writable: true}
	for i, s := range p.syms {
		m.regions = append(m.regions, region{name: s.name, base: p.symBase(i), data: s.data})
	}
	for _, s := range f.slices {
		if int64(len(s.data)) > maxRegion {
			return nil, fmt.Errorf("slice argument at %d(FP) has %d bytes: %w", s.off, len(s.data), ErrFrame)
		}
		base := windowBase(len(m.regions), s.data)
		storeLE(frame[s.off:], 8, base)
		m.regions = append(m.regions, region{argOff: s.off, base: base, data: s.data, writable: true})
	}
	for i := range 16 {
		m.gpr[i] = poisonGPR
	}
	m.gpr[regFP] = m.regions[1].base
	for i := range m.vec {
		for j := range m.vec[i] {
			m.vec[i][j] = poisonVec
		}
	}
	for i := range m.k {
		m.k[i] = poisonMask
	}
	return m, nil
}

// run executes code from its first instruction until RET or an error,
// and returns the instruction that failed, if any.
func (m *machine) run(code []inst, maxSteps int64) (steps int64, at *inst, err error) {
	for pc := 0; ; {
		if pc >= len(code) {
			return steps, nil, fmt.Errorf("ran past the last instruction without RET: %w", ErrUnsupported)
		}
		in := &code[pc]
		if steps >= maxSteps {
			return steps, in, fmt.Errorf("stopped after %d instructions: %w", steps, ErrStepLimit)
		}
		pc++
		steps++
		switch in.op {
		case opRET:
			return steps, nil, nil
		case opJMP:
			pc = int(in.target)
		case opJcc:
			if m.taken(in.cond) {
				pc = int(in.target)
			}
		default:
			m.exec(in)
		}
		if m.err != nil {
			return steps, in, m.err
		}
	}
}

func (m *machine) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// condFlags are the flags each condition reads.
var condFlags = [...]uint8{
	condEQ: flagZ, condNE: flagZ, condLT: flagS | flagO, condGE: flagS | flagO,
	condLE: flagZ | flagS | flagO, condGT: flagZ | flagS | flagO, condCS: flagC, condCC: flagC,
	condLS: flagC | flagZ, condHI: flagC | flagZ, condMI: flagS, condPL: flagS, condOS: flagO, condOC: flagO,
}

// taken evaluates a jump condition.
func (m *machine) taken(c cond) bool {
	if condFlags[c]&m.undef != 0 {
		m.fail(fmt.Errorf("jump on a flag the last flag-setting instruction left undefined: %w", ErrUnsupported))
		return false
	}
	switch c {
	case condEQ:
		return m.zf
	case condNE:
		return !m.zf
	case condLT:
		return m.sf != m.of
	case condGE:
		return m.sf == m.of
	case condLE:
		return m.zf || m.sf != m.of
	case condGT:
		return !m.zf && m.sf == m.of
	case condCS:
		return m.cf
	case condCC:
		return !m.cf
	case condLS:
		return m.cf || m.zf
	case condHI:
		return !m.cf && !m.zf
	case condMI:
		return m.sf
	case condPL:
		return !m.sf
	case condOS:
		return m.of
	}
	return !m.of // condOC
}

// access returns the n bytes at simulated address addr, or records a
// fault and returns nil.
func (m *machine) access(addr uint64, n int, write bool) []byte {
	if w := addr >> windowBits; w < uint64(len(m.regions)) {
		r := &m.regions[w]
		off := addr - r.base
		if off <= uint64(len(r.data)) && uint64(n) <= uint64(len(r.data))-off && (r.writable || !write) {
			return r.data[off : off+uint64(n)]
		}
	}
	m.fail(m.fault(addr, n, write))
	return nil
}

func (m *machine) fault(addr uint64, n int, write bool) error {
	kind := "load"
	if write {
		kind = "store"
	}
	if w := addr >> windowBits; w > 0 && w < uint64(len(m.regions)) {
		r := &m.regions[w]
		if write && !r.writable {
			return fmt.Errorf("store of %d bytes into read-only %s: %w", n, r, ErrFault)
		}
		return fmt.Errorf("%s of %d bytes at byte offset %d of %s (%d bytes long): %w",
			kind, n, int64(addr-r.base), r, len(r.data), ErrFault)
	}
	return fmt.Errorf("%s of %d bytes at %#x, outside the arguments and data: %w", kind, n, addr, ErrFault)
}

func (m *machine) addr(r *memRef) uint64 {
	return uint64(r.disp) + m.gpr[r.base] + m.gpr[r.index]*uint64(r.scale)
}

// sizeMask keeps the low size bytes.
func sizeMask(size int8) uint64 { return ^uint64(0) >> (64 - 8*uint(size)) }

// read returns an integer source operand, truncated to size bytes.
func (m *machine) read(a *operand, size int8) uint64 {
	switch a.kind {
	case kGPR:
		return m.gpr[a.reg] & sizeMask(size)
	case kMask:
		return m.k[a.reg] & sizeMask(size)
	case kImm:
		return uint64(a.imm) & sizeMask(size)
	case kAddr:
		return m.addr(&a.mem) & sizeMask(size)
	}
	if b := m.access(m.addr(&a.mem), int(size), false); b != nil {
		return loadLE(b, size)
	}
	return 0
}

// write stores the low size bytes of v into a register (zero-extending it
// to 64 bits, as 32-bit operations and KMOV do) or memory.
func (m *machine) write(a *operand, size int8, v uint64) {
	v &= sizeMask(size)
	switch a.kind {
	case kGPR:
		m.gpr[a.reg] = v
	case kMask:
		m.k[a.reg] = v
	default:
		if b := m.access(m.addr(&a.mem), int(size), true); b != nil {
			storeLE(b, int(size), v)
		}
	}
}

// Flag updates; r is the result truncated to size bytes.
func (m *machine) setZS(r uint64, size int8) {
	m.zf = r == 0
	m.sf = r>>(8*uint(size)-1)&1 != 0
}

func (m *machine) setAdd(a, b, r uint64, size int8) {
	m.setZS(r, size)
	m.cf = r < a
	m.of = ((a^r)&(b^r))>>(8*uint(size)-1)&1 != 0
	m.undef = 0
}

func (m *machine) setSub(a, b, r uint64, size int8) {
	m.setZS(r, size)
	m.cf = a < b
	m.of = ((a^b)&(a^r))>>(8*uint(size)-1)&1 != 0
	m.undef = 0
}

func (m *machine) setLogic(r uint64, size int8) {
	m.setZS(r, size)
	m.cf, m.of = false, false
	m.undef = 0
}

// exec executes one instruction other than a jump or RET.
func (m *machine) exec(in *inst) {
	size := in.size
	mask := sizeMask(size)
	a, b := &in.args[0], &in.args[1]
	switch in.op {
	case opInvalid:
		m.fail(in.err)
	case opNOP:
	case opMOV:
		m.write(b, size, m.read(a, size))
	case opLEA:
		m.write(b, size, m.addr(&a.mem))
	case opMOVLQSX:
		m.write(b, 8, uint64(int64(int32(m.read(a, 4)))))
	case opPOPCNT: // ZF tells a zero source; CF, OF and SF are cleared
		r := uint64(bits.OnesCount64(m.read(a, size)))
		m.setLogic(r, size)
		m.write(b, size, r)
	case opADD:
		x, y := m.read(b, size), m.read(a, size)
		r := (x + y) & mask
		m.setAdd(x, y, r, size)
		m.write(b, size, r)
	case opSUB, opCMP:
		x, y := m.read(b, size), m.read(a, size)
		if in.op == opCMP { // CMP a, b sets the flags of a-b
			x, y = y, x
		}
		r := (x - y) & mask
		m.setSub(x, y, r, size)
		if in.op == opSUB {
			m.write(b, size, r)
		}
	case opAND, opOR, opXOR, opTEST:
		x, y := m.read(b, size), m.read(a, size)
		var r uint64
		switch in.op {
		case opOR:
			r = x | y
		case opXOR:
			r = x ^ y
		default:
			r = x & y
		}
		m.setLogic(r, size)
		if in.op != opTEST {
			m.write(b, size, r)
		}
	case opINC, opDEC:
		x := m.read(a, size)
		cf, cfUndef := m.cf, m.undef&flagC
		if in.op == opINC {
			r := (x + 1) & mask
			m.setAdd(x, 1, r, size)
			m.write(a, size, r)
		} else {
			r := (x - 1) & mask
			m.setSub(x, 1, r, size)
			m.write(a, size, r)
		}
		m.cf, m.undef = cf, cfUndef // INC and DEC leave CF alone
	case opNEG:
		x := m.read(a, size)
		r := -x & mask
		m.setSub(0, x, r, size)
		m.write(a, size, r)
	case opNOT:
		m.write(a, size, ^m.read(a, size))
	case opSHL, opSHR, opSAR:
		m.shift(in)
	case opIMUL, opIMUL3:
		m.imul(in)
	case opKMOV:
		m.write(b, size, m.read(a, size))
	case opVZEROUPPER:
		for i := range 16 {
			clear(m.vec[i][4:])
		}
	case opVMOV:
		m.vmov(in)
	case opVBROADCASTSS:
		m.broadcast(in)
	case opVMASKMOVPS:
		m.maskmov(in)
	case opVPSLLD, opVPSRLD, opVPSRAD:
		m.vshift(in)
	case opVROUND, opVRNDSCALE, opVCVTPS2DQ, opVCVTTPS2DQ:
		m.convert(in)
	case opVCMP:
		m.compare(in)
	case opVBLENDM:
		m.blendm(in)
	case opVBLENDV:
		m.blendv(in)
	case opMOVSX, opVMOVSX:
		m.movsx(in)
	case opVMOVMSK:
		m.movmsk(in)
	case opVEXTRACT:
		m.extract(in)
	case opVPERMIL:
		m.permil(in)
	case opVPERM:
		m.perm(in)
	case opVCVTPS2PD:
		m.cvtps2pd(in)
	case opVADDPD, opVHADDPD, opVFMADD132PD, opVFMADD213PD, opVFMADD231PD:
		m.arithPD(in)
	default:
		m.arith(in)
	}
}

func (m *machine) shift(in *inst) {
	size := in.size
	bitsN := 8 * uint(size)
	count := uint(m.read(&in.args[0], 1)) & (bitsN - 1)
	dst := &in.args[1]
	x := m.read(dst, size)
	if count == 0 { // no flags change
		return
	}
	var r uint64
	switch in.op {
	case opSHL:
		r = x << count
		m.cf = x>>(bitsN-count)&1 != 0
	case opSHR:
		r = x >> count
		m.cf = x>>(count-1)&1 != 0
	default: // SAR
		r = uint64(int64(x<<(64-bitsN)) >> (64 - bitsN) >> count) // sign-extend, then shift
		m.cf = uint64(int64(x<<(64-bitsN))>>(64-bitsN)>>(count-1))&1 != 0
	}
	r &= sizeMask(size)
	m.setZS(r, size)
	m.undef = 0
	if count == 1 {
		switch in.op {
		case opSHL:
			m.of = (r>>(bitsN-1)&1 != 0) != m.cf
		case opSHR:
			m.of = x>>(bitsN-1)&1 != 0
		default:
			m.of = false
		}
	} else {
		m.undef = flagO
	}
	m.write(dst, size, r)
}

// imul multiplies signed; CF and OF report a product that does not fit
// the operand size, and SF and ZF are undefined.
func (m *machine) imul(in *inst) {
	size := in.size
	x, y, dst := &in.args[0], &in.args[1], &in.args[1]
	if in.op == opIMUL3 {
		dst = &in.args[2]
	}
	sx := func(v uint64) int64 { return int64(v<<(64-8*uint(size))) >> (64 - 8*uint(size)) }
	a, b := sx(m.read(x, size)), sx(m.read(y, size))
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	// Signed high word: correct the unsigned one for negative factors.
	shi := int64(hi)
	if a < 0 {
		shi -= b
	}
	if b < 0 {
		shi -= a
	}
	r := lo & sizeMask(size)
	var fits bool
	if size == 8 {
		fits = shi == int64(lo)>>63
	} else {
		fits = sx(r) == a*b
	}
	m.cf, m.of = !fits, !fits
	m.undef = flagZ | flagS
	m.write(dst, size, r)
}
