package x86sim

import (
	"encoding/binary"
	"math"
)

// Vector instructions. Lanes are float32 bit patterns; an instruction on n
// lanes computes them, writes the lanes its opmask selects (merging or
// zeroing the others) and zeroes lanes n to 15, as both VEX and EVEX
// encodings do.

// active returns the lanes an instruction writes: all of its lanes, or
// those its opmask selects.
func (m *machine) active(in *inst) uint32 {
	all := uint32(1)<<in.lanes - 1
	if in.mask == 0 {
		return all
	}
	return uint32(m.k[in.mask]) & all
}

// load reads the active lanes of n float32s at addr into dst. Inactive
// lanes are neither read from memory nor written in dst.
func (m *machine) load(dst *[16]uint32, addr uint64, n int, active uint32) {
	if active == 1<<n-1 {
		if b := m.access(addr, 4*n, false); b != nil {
			for i := range n {
				dst[i] = binary.LittleEndian.Uint32(b[4*i:])
			}
		}
		return
	}
	for i := range n {
		if active>>i&1 != 0 {
			if b := m.access(addr+4*uint64(i), 4, false); b != nil {
				dst[i] = binary.LittleEndian.Uint32(b)
			}
		}
	}
}

// store writes the active lanes of src to the n float32s at addr; the
// others are not touched.
func (m *machine) store(addr uint64, src *[16]uint32, n int, active uint32) {
	if active == 1<<n-1 {
		if b := m.access(addr, 4*n, true); b != nil {
			for i := range n {
				binary.LittleEndian.PutUint32(b[4*i:], src[i])
			}
		}
		return
	}
	for i := range n {
		if active>>i&1 != 0 {
			if b := m.access(addr+4*uint64(i), 4, true); b != nil {
				binary.LittleEndian.PutUint32(b, src[i])
			}
		}
	}
}

// commit writes the active lanes of res (which may be dst itself) to
// register dst, merges or zeroes its other n lanes and zeroes the rest.
func (m *machine) commit(dst uint8, res *[16]uint32, n int, active uint32, zero bool) {
	v := &m.vec[dst]
	if active == 1<<n-1 {
		copy(v[:n], res[:n])
	} else {
		for i := range n {
			if active>>i&1 != 0 {
				v[i] = res[i]
			} else if zero {
				v[i] = 0
			}
		}
	}
	clear(v[n:])
}

// source returns the lanes of a source operand a of in: a register, the
// active lanes of memory, or one float32 of memory broadcast to all lanes
// (read only if a lane is active).
func (m *machine) source(in *inst, a *operand, active uint32) *[16]uint32 {
	if a.kind == kVec {
		return &m.vec[a.reg]
	}
	addr := m.addr(&a.mem)
	if !in.bcst {
		m.load(&m.src, addr, int(in.lanes), active)
		return &m.src
	}
	if active != 0 {
		if b := m.access(addr, 4, false); b != nil {
			x := binary.LittleEndian.Uint32(b)
			for i := range in.lanes {
				m.src[i] = x
			}
		}
	}
	return &m.src
}

// arith executes the three-operand instructions "OP x, y, d". In Intel's
// terms d is operand 1, y operand 2 (src1) and x operand 3 (src2).
func (m *machine) arith(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	x := m.source(in, &in.args[0], active)
	y := &m.vec[in.args[1].reg]
	d := &m.vec[in.args[2].reg]
	// Without an opmask the lanes go straight to d: lane i of the sources
	// is read before lane i of d is written, so aliasing is harmless.
	r := d
	if in.mask != 0 {
		r = &m.res
	}
	switch in.op {
	case opVXOR:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return y ^ x })
	case opVAND:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return y & x })
	case opVANDN:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return ^y & x })
	case opVOR:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return y | x })
	case opVADD:
		laneWise(r, y, x, n, add)
	case opVSUB:
		laneWise(r, y, x, n, sub)
	case opVMUL:
		laneWise(r, y, x, n, mul)
	case opVDIV:
		laneWise(r, y, x, n, div)
	case opVMIN:
		laneWise(r, y, x, n, minLane)
	case opVMAX:
		laneWise(r, y, x, n, maxLane)
	case opVPADDD:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return y + x })
	case opVPSUBD:
		laneWise(r, y, x, n, func(y, x uint32) uint32 { return y - x })
	// The FMA forms as Intel's manual writes them, with y = SRC2, x = SRC3.
	case opVFMADD231: // d = y*x + d
		fmaLanes(r, y, x, d, n, false)
	case opVFMADD213: // d = y*d + x
		fmaLanes(r, y, d, x, n, false)
	case opVFMADD132: // d = d*x + y
		fmaLanes(r, d, x, y, n, false)
	case opVFNMADD231: // d = -(y*x) + d
		fmaLanes(r, y, x, d, n, true)
	case opVFNMADD213: // d = -(y*d) + x
		fmaLanes(r, y, d, x, n, true)
	case opVFNMADD132: // d = -(d*x) + y
		fmaLanes(r, d, x, y, n, true)
	}
	if in.mask != 0 {
		m.commit(in.args[2].reg, r, n, active, in.zero)
	} else {
		clear(d[n:])
	}
}

// laneWise sets r[i] = f(y[i], x[i]) for the first n lanes. r may be
// y or x: lane i is read before it is written.
func laneWise(r, y, x *[16]uint32, n int, f func(y, x uint32) uint32) {
	for i := range n {
		r[i] = f(y[i], x[i])
	}
}

// vmov executes VMOVUPS and friends: load, store or register move.
func (m *machine) vmov(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	src, dst := &in.args[0], &in.args[1]
	switch {
	case dst.kind == kMem:
		m.store(m.addr(&dst.mem), &m.vec[src.reg], n, active)
	case src.kind == kMem:
		m.load(&m.src, m.addr(&src.mem), n, active)
		m.commit(dst.reg, &m.src, n, active, in.zero)
	default:
		m.commit(dst.reg, &m.vec[src.reg], n, active, in.zero)
	}
}

// broadcast executes VBROADCASTSS from memory (read only if a lane is
// active) or from lane 0 of an X register.
func (m *machine) broadcast(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	src := &in.args[0]
	var x uint32
	if src.kind == kVec {
		x = m.vec[src.reg][0]
	} else if active != 0 {
		b := m.access(m.addr(&src.mem), 4, false)
		if b == nil {
			return
		}
		x = binary.LittleEndian.Uint32(b)
	}
	for i := range n {
		m.res[i] = x
	}
	m.commit(in.args[1].reg, &m.res, n, active, in.zero)
}

// maskmov executes VMASKMOVPS: the lanes whose mask element has its sign
// bit set are loaded (the others become zero) or stored (the others are
// not touched); unselected lanes never access memory.
func (m *machine) maskmov(in *inst) {
	n := int(in.lanes)
	sel := &m.vec[in.args[1].reg]
	var active uint32
	for i := range n {
		active |= sel[i] >> 31 << i
	}
	if dst := &in.args[2]; dst.kind == kMem {
		m.store(m.addr(&dst.mem), &m.vec[in.args[0].reg], n, active)
		return
	}
	m.load(&m.src, m.addr(&in.args[0].mem), n, active)
	m.commit(in.args[2].reg, &m.src, n, active, true)
}

// vshift executes VPSLLD, VPSRLD and VPSRAD by an immediate: a count
// above 31 shifts out every bit (VPSRAD fills with the sign).
func (m *machine) vshift(in *inst) {
	n := int(in.lanes)
	count := uint64(in.args[0].imm)
	x := &m.vec[in.args[1].reg]
	for i := range n {
		switch in.op {
		case opVPSLLD:
			m.res[i] = uint32(uint64(x[i]) << min(count, 32))
		case opVPSRLD:
			m.res[i] = uint32(uint64(x[i]) >> min(count, 32))
		default:
			m.res[i] = uint32(int32(x[i]) >> min(count, 31))
		}
	}
	m.commit(in.args[2].reg, &m.res, n, m.active(in), in.zero)
}

// convert executes the one-source lane conversions: VROUNDPS,
// VRNDSCALEPS, VCVTPS2DQ and VCVTTPS2DQ.
func (m *machine) convert(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	src, dst := &in.args[0], &in.args[1]
	if in.op == opVROUND || in.op == opVRNDSCALE {
		src, dst = &in.args[1], &in.args[2]
	}
	x := m.source(in, src, active)
	for i := range n {
		switch in.op {
		case opVROUND, opVRNDSCALE:
			m.res[i] = roundScale(x[i], uint8(in.args[0].imm))
		case opVCVTPS2DQ:
			m.res[i] = toInt32(x[i], math.RoundToEven)
		default:
			m.res[i] = toInt32(x[i], math.Trunc)
		}
	}
	m.commit(dst.reg, &m.res, n, active, in.zero)
}

// compare executes VCMPPS: into a vector, all ones in the lanes where the
// predicate holds and zeros elsewhere; into an opmask, one bit per lane,
// zero for the lanes the writemask excludes and above the vector length.
func (m *machine) compare(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	pred := uint8(in.args[0].imm)
	x := m.source(in, &in.args[1], active)
	y := &m.vec[in.args[2].reg]
	dst := &in.args[3]
	var bits uint32
	for i := range n {
		if active>>i&1 != 0 && compareLane(pred, y[i], x[i]) {
			bits |= 1 << i
		}
	}
	if dst.kind == kMask {
		m.k[dst.reg] = uint64(bits)
		return
	}
	for i := range n {
		m.res[i] = -(bits >> i & 1) // all ones or zero
	}
	m.commit(dst.reg, &m.res, n, 1<<n-1, false)
}

// blendm executes VBLENDMPS x, y, K, d: lane i of d becomes x[i] where K
// selects it and y[i] (or zero, with .Z) elsewhere.
func (m *machine) blendm(in *inst) {
	n := int(in.lanes)
	sel := m.active(in)
	x, y := &m.vec[in.args[0].reg], &m.vec[in.args[1].reg]
	for i := range n {
		m.res[i] = y[i]
		if sel>>i&1 != 0 {
			m.res[i] = x[i]
		}
	}
	if in.zero {
		m.commit(in.args[2].reg, &m.res, n, sel, true)
		return
	}
	m.commit(in.args[2].reg, &m.res, n, 1<<n-1, false)
}

// blendv executes VBLENDVPS sel, x, y, d: lane i of d becomes x[i] where
// the sign bit of sel[i] is set and y[i] elsewhere.
func (m *machine) blendv(in *inst) {
	n := int(in.lanes)
	sel := &m.vec[in.args[0].reg]
	x := m.source(in, &in.args[1], 1<<n-1)
	y := &m.vec[in.args[2].reg]
	for i := range n {
		m.res[i] = y[i]
		if sel[i]>>31 != 0 {
			m.res[i] = x[i]
		}
	}
	m.commit(in.args[3].reg, &m.res, n, 1<<n-1, false)
}

// movsx executes MOVSS, MOVSD, VMOVSS and VMOVSD between memory and an X
// register: a load zeroes the rest of the X register, and the rest of the
// register too unless it is a legacy SSE MOVSS or MOVSD.
func (m *machine) movsx(in *inst) {
	n := int(in.size / 4)
	src, dst := &in.args[0], &in.args[1]
	if dst.kind == kMem {
		m.store(m.addr(&dst.mem), &m.vec[src.reg], n, 1<<n-1)
		return
	}
	v := &m.vec[dst.reg]
	m.load(v, m.addr(&src.mem), n, 1<<n-1)
	clear(v[n:4])
	if in.op == opVMOVSX {
		clear(v[4:])
	}
}

// movmsk executes VMOVMSKPS: the lanes' sign bits into the low bits of a
// general register, zero-extended.
func (m *machine) movmsk(in *inst) {
	x := &m.vec[in.args[0].reg]
	var bits uint64
	for i := range int(in.args[0].lanes) {
		bits |= uint64(x[i]>>31) << i
	}
	m.gpr[in.args[1].reg] = bits
}

// extract executes VEXTRACTF128, VEXTRACTF32X4 and VEXTRACTF64X4: part
// imm of the source, in.size float32 lanes wide.
func (m *machine) extract(in *inst) {
	n := int(in.size)
	x := &m.vec[in.args[1].reg]
	copy(m.res[:n], x[int(in.args[0].imm)*n:])
	m.commit(in.args[2].reg, &m.res, n, 1<<n-1, false)
}

// permil executes VPERMILPS by an immediate: lane i of each 128-bit part
// becomes the lane of that part the two bits of imm at 2*(i%4) select.
func (m *machine) permil(in *inst) {
	n := int(in.lanes)
	imm := uint32(in.args[0].imm)
	x := &m.vec[in.args[1].reg]
	for i := range n {
		m.res[i] = x[i&^3|int(imm>>(2*(i&3))&3)]
	}
	m.commit(in.args[2].reg, &m.res, n, m.active(in), in.zero)
}

// perm executes VPERMPS and VPERMD x, idx, d: lane i of d becomes the
// lane of x that the low bits of idx[i] number (3 bits on Y, 4 on Z).
func (m *machine) perm(in *inst) {
	n := int(in.lanes)
	active := m.active(in)
	x := m.source(in, &in.args[0], 1<<n-1)
	idx := &m.vec[in.args[1].reg]
	for i := range n {
		m.res[i] = x[idx[i]&uint32(n-1)]
	}
	m.commit(in.args[2].reg, &m.res, n, active, in.zero)
}

// lane64 and setLane64 read and write float64 lane i of v: float32 lanes
// 2i (low half) and 2i+1.
func lane64(v *[16]uint32, i int) uint64 { return uint64(v[2*i]) | uint64(v[2*i+1])<<32 }

func setLane64(v *[16]uint32, i int, x uint64) { v[2*i], v[2*i+1] = uint32(x), uint32(x>>32) }

// cvtps2pd executes VCVTPS2PD: the low half of the source's float32 lanes
// widened to float64.
func (m *machine) cvtps2pd(in *inst) {
	n := int(in.lanes)
	x := m.source(in, &in.args[0], 1<<(n/2)-1)
	for i := range n / 2 {
		setLane64(&m.res, i, widen(x[i]))
	}
	m.commit(in.args[1].reg, &m.res, n, 1<<n-1, false)
}

// arithPD executes the float64 instructions "OP x, y, d", with y as
// Intel's src1 and x as src2.
func (m *machine) arithPD(in *inst) {
	n := int(in.lanes)
	x := m.source(in, &in.args[0], 1<<n-1)
	y, d := &m.vec[in.args[1].reg], &m.vec[in.args[2].reg]
	for i := range n / 2 {
		var r uint64
		switch in.op {
		case opVADDPD:
			r = add64(lane64(y, i), lane64(x, i))
		case opVHADDPD: // in each 128-bit part: y's pair summed, then x's
			src := y
			if i&1 != 0 {
				src = x
			}
			r = add64(lane64(src, i&^1), lane64(src, i|1))
		case opVFMADD231PD: // d = y*x + d
			r = fma64(lane64(y, i), lane64(x, i), lane64(d, i))
		case opVFMADD213PD: // d = y*d + x
			r = fma64(lane64(y, i), lane64(d, i), lane64(x, i))
		default: // VFMADD132PD: d = d*x + y
			r = fma64(lane64(d, i), lane64(x, i), lane64(y, i))
		}
		setLane64(&m.res, i, r)
	}
	m.commit(in.args[2].reg, &m.res, n, 1<<n-1, false)
}
