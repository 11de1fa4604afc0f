package x86sim

import (
	"fmt"
	"strings"
)

type opcode uint8

const (
	opInvalid opcode = iota

	// Integer instructions; inst.size is the operand size.
	opMOV
	opADD
	opSUB
	opAND
	opOR
	opXOR
	opCMP
	opTEST
	opSHL
	opSHR
	opSAR
	opINC
	opDEC
	opNEG
	opNOT
	opLEA
	opIMUL
	opIMUL3
	opMOVLQSX // sign-extends a 32-bit source into a 64-bit register
	opPOPCNT

	// Control flow.
	opJMP
	opJcc
	opRET
	opNOP // PREFETCHx: no architectural effect, never faults

	// Scalar SSE loads and stores (MOVSS, MOVSD): they leave the bits of
	// a register above its X part alone. inst.size is 4 or 8.
	opMOVSX

	// Vector and opmask instructions.
	opVZEROUPPER
	opVMOV // VMOVUPS, VMOVDQU, VMOVDQU32
	opVBROADCASTSS
	opVMASKMOVPS
	opVXOR
	opVAND
	opVANDN
	opVOR
	opVADD
	opVSUB
	opVMUL
	opVDIV
	opVFMADD132
	opVFMADD213
	opVFMADD231
	opVFNMADD132
	opVFNMADD213
	opVFNMADD231
	opVMIN
	opVMAX
	opVPADDD
	opVPSUBD
	opVPSLLD // by an immediate, as are the other shifts
	opVPSRLD
	opVPSRAD
	opVROUND     // VROUNDPS
	opVRNDSCALE  // VRNDSCALEPS
	opVCVTPS2DQ  // rounding as MXCSR says: to nearest even
	opVCVTTPS2DQ // truncating
	opVCMP       // VCMPPS into a vector (VEX) or an opmask (EVEX)
	opVBLENDM    // VBLENDMPS
	opVBLENDV    // VBLENDVPS
	opVMOVSX     // VMOVSS, VMOVSD from and to memory; inst.size is 4 or 8
	opVMOVMSK    // VMOVMSKPS
	opVEXTRACT   // VEXTRACTF128, VEXTRACTF32X4, VEXTRACTF64X4; inst.size is the float32 lanes they move
	opVPERMIL    // VPERMILPS by an immediate
	opVPERM      // VPERMPS, VPERMD: lanes chosen by a vector of indices
	opVCVTPS2PD
	opVADDPD
	opVHADDPD
	opVFMADD132PD
	opVFMADD213PD
	opVFMADD231PD
	opKMOV
)

// vector reports whether op is a vector instruction, which may take an
// opmask and the .Z and .BCST suffixes.
func (op opcode) vector() bool { return op >= opVZEROUPPER && op != opKMOV }

// A cond is the condition of a conditional jump.
type cond uint8

const (
	condEQ cond = iota // ZF
	condNE             // !ZF
	condLT             // SF != OF
	condGE             // SF == OF
	condLE             // ZF || SF != OF
	condGT             // !ZF && SF == OF
	condCS             // CF (unsigned <)
	condCC             // !CF (unsigned >=)
	condLS             // CF || ZF (unsigned <=)
	condHI             // !CF && !ZF (unsigned >)
	condMI             // SF
	condPL             // !SF
	condOS             // OF
	condOC             // !OF
)

// A mnemonic is what a Go assembler mnemonic (without suffixes) decodes to.
type mnemonic struct {
	op   opcode
	size int8
	cond cond
}

var mnemonics = func() map[string]mnemonic {
	m := map[string]mnemonic{}
	for name, op := range map[string]opcode{
		"MOV": opMOV, "ADD": opADD, "SUB": opSUB, "AND": opAND, "OR": opOR, "XOR": opXOR,
		"CMP": opCMP, "TEST": opTEST, "SHL": opSHL, "SHR": opSHR, "SAR": opSAR,
		"INC": opINC, "DEC": opDEC, "NEG": opNEG, "NOT": opNOT, "LEA": opLEA,
		"IMUL": opIMUL, "IMUL3": opIMUL3, "POPCNT": opPOPCNT,
	} {
		m[name+"Q"] = mnemonic{op: op, size: 8}
		m[name+"L"] = mnemonic{op: op, size: 4}
	}
	// Go's names and their Intel-style aliases.
	for names, c := range map[string]cond{
		"JEQ JE JZ": condEQ, "JNE JNZ": condNE, "JLT JL JNGE": condLT, "JGE JNL": condGE,
		"JLE JNG": condLE, "JGT JG JNLE": condGT, "JCS JB JC JNAE": condCS,
		"JCC JAE JNB JNC": condCC, "JLS JBE JNA": condLS, "JHI JA JNBE": condHI,
		"JMI JS": condMI, "JPL JNS": condPL, "JOS JO": condOS, "JOC JNO": condOC,
	} {
		for _, name := range strings.Fields(names) {
			m[name] = mnemonic{op: opJcc, cond: c}
		}
	}
	for name, op := range map[string]opcode{
		"JMP": opJMP, "RET": opRET,
		"PREFETCHT0": opNOP, "PREFETCHT1": opNOP, "PREFETCHT2": opNOP, "PREFETCHNTA": opNOP,
		"VZEROUPPER": opVZEROUPPER, "VMOVUPS": opVMOV, "VMOVDQU": opVMOV, "VMOVDQU32": opVMOV,
		"VBROADCASTSS": opVBROADCASTSS, "VMASKMOVPS": opVMASKMOVPS,
		"VXORPS": opVXOR, "VANDPS": opVAND, "VANDNPS": opVANDN, "VORPS": opVOR,
		"VADDPS": opVADD, "VSUBPS": opVSUB, "VMULPS": opVMUL, "VDIVPS": opVDIV,
		"VFMADD132PS": opVFMADD132, "VFMADD213PS": opVFMADD213, "VFMADD231PS": opVFMADD231,
		"VFNMADD132PS": opVFNMADD132, "VFNMADD213PS": opVFNMADD213, "VFNMADD231PS": opVFNMADD231,
		"VMINPS": opVMIN, "VMAXPS": opVMAX,
		// The AVX-512 doubleword logic is the float32 logic: lanes are bits.
		"VPXORD": opVXOR, "VPANDD": opVAND, "VPANDND": opVANDN, "VPORD": opVOR,
		"VPADDD": opVPADDD, "VPSUBD": opVPSUBD, "VPSLLD": opVPSLLD, "VPSRLD": opVPSRLD, "VPSRAD": opVPSRAD,
		"VROUNDPS": opVROUND, "VRNDSCALEPS": opVRNDSCALE, "VCVTPS2DQ": opVCVTPS2DQ, "VCVTTPS2DQ": opVCVTTPS2DQ,
		"VCMPPS": opVCMP, "VBLENDMPS": opVBLENDM, "VBLENDVPS": opVBLENDV,
		// Lanes are bits: the float32 and int32 permutes are one.
		"VPERMPS": opVPERM, "VPERMD": opVPERM,
	} {
		m[name] = mnemonic{op: op}
	}
	for name, size := range map[string]int8{"KMOVB": 1, "KMOVW": 2, "KMOVD": 4, "KMOVQ": 8} {
		m[name] = mnemonic{op: opKMOV, size: size}
	}
	for name, mn := range map[string]mnemonic{
		"MOVLQSX": {op: opMOVLQSX, size: 4},
		"MOVSS":   {op: opMOVSX, size: 4}, "MOVSD": {op: opMOVSX, size: 8},
		"VMOVSS": {op: opVMOVSX, size: 4}, "VMOVSD": {op: opVMOVSX, size: 8},
		"VEXTRACTF128": {op: opVEXTRACT, size: 4}, "VEXTRACTF32X4": {op: opVEXTRACT, size: 4},
		"VEXTRACTF64X4": {op: opVEXTRACT, size: 8},
		"VMOVMSKPS":     {op: opVMOVMSK}, "VPERMILPS": {op: opVPERMIL},
		// float64 lanes, without opmasks: a mask bit would stand for two
		// of the simulator's float32 lanes.
		"VXORPD": {op: opVXOR}, "VADDPD": {op: opVADDPD}, "VHADDPD": {op: opVHADDPD}, "VCVTPS2PD": {op: opVCVTPS2PD},
		"VFMADD132PD": {op: opVFMADD132PD}, "VFMADD213PD": {op: opVFMADD213PD}, "VFMADD231PD": {op: opVFMADD231PD},
	} {
		m[name] = mn
	}
	return m
}()

// invalid turns in into an instruction that fails with err when executed.
func invalid(in inst, err error) inst {
	return inst{op: opInvalid, line: in.line, text: in.text, err: err}
}

// inst decodes one instruction line. Anything it cannot decode becomes an
// opInvalid instruction carrying the reason.
func (p *parser) inst(line int, text, name string, argText []string) inst {
	in := inst{line: int32(line), text: text}
	base, suffixes, _ := strings.Cut(name, ".")
	mn, ok := mnemonics[base]
	if !ok {
		return invalid(in, fmt.Errorf("instruction %s: %w", base, ErrUnsupported))
	}
	in.op, in.size, in.cond = mn.op, mn.size, mn.cond
	in.pd = strings.HasSuffix(base, "PD") && base != "VMOVSD" // float64 lanes
	if suffixes != "" {
		for _, s := range strings.Split(suffixes, ".") {
			switch s {
			case "Z":
				in.zero = true
			case "BCST":
				in.bcst = true
			default:
				return invalid(in, fmt.Errorf("suffix .%s: %w", s, ErrUnsupported))
			}
		}
	}
	var args []operand
	for _, t := range argText {
		a, err := parseOperand(t)
		if err != nil {
			return invalid(in, err)
		}
		args = append(args, a)
	}
	// The opmask of an AVX-512 instruction comes just before its destination.
	if in.op.vector() && len(args) >= 2 && args[len(args)-2].kind == kMask {
		in.mask = args[len(args)-2].reg
		args = append(args[:len(args)-2], args[len(args)-1])
	}
	if len(args) > len(in.args) {
		return invalid(in, fmt.Errorf("%d operands: %w", len(args), ErrUnsupported))
	}
	in.nargs = int8(copy(in.args[:], args))
	if err := in.check(); err != nil {
		return invalid(in, fmt.Errorf("%w: %w", err, ErrUnsupported))
	}
	for i, a := range args {
		if a.name != "" && (a.kind == kMem || a.kind == kAddr) {
			p.symRefs = append(p.symRefs, symRef{fn: p.fn, pc: len(p.fn.code), arg: i})
		}
	}
	return in
}

// kinds is a set of operand kinds.
type kinds uint16

func kindSet(ks ...operandKind) kinds {
	var s kinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

var (
	anyInt    = kindSet(kGPR, kImm, kMem, kAddr) // integer sources
	gprMem    = kindSet(kGPR, kMem)
	gprOnly   = kindSet(kGPR)
	memOnly   = kindSet(kMem)
	vecOnly   = kindSet(kVec)
	vecMem    = kindSet(kVec, kMem)
	labelOnly = kindSet(kLabel)
	immOnly   = kindSet(kImm)
)

// check validates the operand forms of a decoded instruction and sets its
// vector length.
func (in *inst) check() error {
	if !in.op.vector() && (in.zero || in.bcst) {
		return fmt.Errorf("suffix on a non-vector instruction")
	}
	mems := 0
	for _, a := range in.args[:in.nargs] {
		if a.kind == kMem {
			mems++
		}
	}
	if mems > 1 {
		return fmt.Errorf("two memory operands")
	}
	switch in.op {
	case opMOV, opADD, opSUB, opAND, opOR, opXOR:
		return in.forms(anyInt, gprMem)
	case opCMP:
		return in.forms(gprMem, anyInt)
	case opTEST:
		if err := in.forms(anyInt, anyInt); err != nil {
			return err
		}
		if in.args[0].kind != kGPR && in.args[1].kind != kGPR && !(in.args[0].kind == kImm && in.args[1].kind == kMem) {
			return fmt.Errorf("TEST needs a register or an immediate and memory")
		}
		return nil
	case opSHL, opSHR, opSAR:
		if err := in.forms(kindSet(kImm, kGPR), gprMem); err != nil {
			return err
		}
		if in.args[0].kind == kGPR && in.args[0].reg != 1 {
			return fmt.Errorf("shift count must be an immediate or CX")
		}
		return nil
	case opINC, opDEC, opNEG, opNOT:
		return in.forms(gprMem)
	case opLEA:
		return in.forms(memOnly, gprOnly)
	case opIMUL:
		return in.forms(kindSet(kGPR, kImm, kMem), gprOnly)
	case opIMUL3:
		return in.forms(immOnly, gprMem, gprOnly)
	case opMOVLQSX, opPOPCNT:
		return in.forms(gprMem, gprOnly)
	case opJMP, opJcc:
		return in.forms(labelOnly)
	case opRET, opVZEROUPPER:
		return in.forms()
	case opNOP:
		return in.forms(memOnly)
	case opKMOV:
		if in.nargs == 2 && in.args[1].kind == kMask {
			return in.forms(kindSet(kMask, kGPR, kMem), kindSet(kMask))
		}
		return in.forms(kindSet(kMask), gprMem)
	case opVMOV:
		if err := in.forms(vecMem, vecMem); err != nil {
			return err
		}
		if in.args[1].kind == kMem && in.zero {
			return fmt.Errorf(".Z on a store")
		}
	case opVBROADCASTSS:
		if err := in.forms(vecMem, vecOnly); err != nil {
			return err
		}
		if in.args[0].kind == kVec && in.args[0].lanes != 4 {
			return fmt.Errorf("broadcast source must be an X register")
		}
		in.lanes = in.args[1].lanes
	case opVMASKMOVPS:
		if in.nargs == 3 && in.args[2].kind == kMem {
			if err := in.forms(vecOnly, vecOnly, memOnly); err != nil {
				return err
			}
		} else if err := in.forms(memOnly, vecOnly, vecOnly); err != nil {
			return err
		}
		if in.mask != 0 || in.zero || in.bcst {
			return fmt.Errorf("VMASKMOVPS has no EVEX form")
		}
	case opVXOR, opVAND, opVANDN, opVOR, opVADD, opVSUB, opVMUL, opVDIV, opVFMADD132, opVFMADD213, opVFMADD231,
		opVFNMADD132, opVFNMADD213, opVFNMADD231, opVMIN, opVMAX, opVPADDD, opVPSUBD:
		if err := in.forms(vecMem, vecOnly, vecOnly); err != nil {
			return err
		}
	case opVBLENDM: // the opmask selects, so a memory source would need its own fault rules
		if err := in.forms(vecOnly, vecOnly, vecOnly); err != nil {
			return err
		}
	case opVBLENDV:
		if err := in.forms(vecOnly, vecMem, vecOnly, vecOnly); err != nil {
			return err
		}
	case opVADDPD, opVHADDPD, opVFMADD132PD, opVFMADD213PD, opVFMADD231PD:
		if err := in.forms(vecMem, vecOnly, vecOnly); err != nil {
			return err
		}
	case opVPERMIL:
		if err := in.forms(immOnly, vecOnly, vecOnly); err != nil {
			return err
		}
		if uint64(in.args[0].imm) > 0xff {
			return fmt.Errorf("immediate %#x out of range", in.args[0].imm)
		}
	case opVMOVMSK:
		if err := in.forms(vecOnly, gprOnly); err != nil {
			return err
		}
	case opVPERM:
		if err := in.forms(vecMem, vecOnly, vecOnly); err != nil {
			return err
		}
		if in.args[1].lanes == 4 {
			return fmt.Errorf("a permute across lanes has no X form")
		}
		// Its memory lanes do not match the destination's, so an opmask
		// would need fault rules of its own.
		if in.args[0].kind == kMem && (in.mask != 0 || in.bcst) {
			return fmt.Errorf("a masked or broadcast permute from memory")
		}
	case opMOVSX, opVMOVSX, opVEXTRACT, opVCVTPS2PD:
		return in.checkNarrowing()
	case opVPSLLD, opVPSRLD, opVPSRAD:
		if err := in.forms(immOnly, vecOnly, vecOnly); err != nil {
			return err
		}
	case opVROUND, opVRNDSCALE:
		if err := in.forms(immOnly, vecMem, vecOnly); err != nil {
			return err
		}
		if (in.op == opVROUND && in.args[0].imm>>4 != 0) || in.args[0].imm>>8 != 0 {
			return fmt.Errorf("rounding immediate %#x out of range", in.args[0].imm)
		}
	case opVCVTPS2DQ, opVCVTTPS2DQ:
		if err := in.forms(vecMem, vecOnly); err != nil {
			return err
		}
	case opVCMP:
		if err := in.forms(immOnly, vecMem, vecOnly, kindSet(kVec, kMask)); err != nil {
			return err
		}
		if uint64(in.args[0].imm) > 31 {
			return fmt.Errorf("comparison predicate %d out of range", in.args[0].imm)
		}
		if in.args[3].kind == kMask && in.zero {
			return fmt.Errorf(".Z on a comparison into an opmask")
		}
	default:
		return fmt.Errorf("no operand forms for opcode %d", in.op)
	}
	return in.checkVector()
}

// checkVector checks the widths and encodings of a vector instruction's
// operands and sets in.lanes.
func (in *inst) checkVector() error {
	evex := in.mask != 0 || in.zero || in.bcst
	for i, a := range in.args[:in.nargs] {
		if a.kind != kVec || (in.op == opVBROADCASTSS && i == 0) {
			continue
		}
		if in.lanes == 0 {
			in.lanes = a.lanes
		}
		if a.lanes != in.lanes {
			return fmt.Errorf("operands of different widths")
		}
		evex = evex || a.reg >= 16 || a.lanes == 16
	}
	if in.pd && (in.mask != 0 || in.zero || in.bcst) {
		return fmt.Errorf("opmasks and broadcasts on float64 lanes")
	}
	switch {
	case evex && (in.op == opVMASKMOVPS || in.op == opVROUND || in.op == opVBLENDV || in.op == opVMOVMSK || in.op == opVHADDPD):
		return fmt.Errorf("no EVEX form")
	case evex && in.op == opVCMP && in.args[3].kind == kVec:
		return fmt.Errorf("VCMPPS writes an opmask in its EVEX form")
	}
	if in.zero && in.mask == 0 {
		return fmt.Errorf(".Z without an opmask")
	}
	src := in.args[0] // the operand that may be in memory
	if in.op == opVCMP || in.op == opVRNDSCALE {
		src = in.args[1]
	}
	if in.bcst && (src.kind != kMem || in.op == opVMOV || in.op == opVBROADCASTSS) {
		return fmt.Errorf(".BCST needs an arithmetic instruction with a memory source")
	}
	return nil
}

// checkNarrowing checks the instructions whose operands have different
// widths, none of which takes an opmask or .BCST here, and sets in.lanes
// to the destination's width (the source's for a store).
func (in *inst) checkNarrowing() error {
	if in.mask != 0 || in.zero || in.bcst {
		return fmt.Errorf("opmasks and broadcasts on %s", in.text)
	}
	var src, dst operand
	switch in.op {
	case opMOVSX, opVMOVSX:
		if err := in.forms(vecMem, vecMem); err != nil {
			return err
		}
		src, dst = in.args[0], in.args[1]
		v := src
		if dst.kind == kVec {
			v = dst
		}
		if v.kind != kVec || v.lanes != 4 || (in.op == opMOVSX && v.reg >= 16) {
			return fmt.Errorf("a scalar move between memory and an X register")
		}
		in.lanes = 4
		return nil
	case opVEXTRACT:
		if err := in.forms(immOnly, vecOnly, vecOnly); err != nil {
			return err
		}
		src, dst = in.args[1], in.args[2]
		if dst.lanes != in.size || src.lanes <= in.size || uint64(in.args[0].imm) >= uint64(src.lanes/in.size) {
			return fmt.Errorf("extract of %d lanes from %d lanes, part %d", dst.lanes, src.lanes, in.args[0].imm)
		}
		if strings.HasPrefix(in.text, "VEXTRACTF128") && (src.lanes != 8 || src.reg >= 16 || dst.reg >= 16) {
			return fmt.Errorf("VEXTRACTF128 has only a VEX form, from a Y register")
		}
	case opVCVTPS2PD:
		if err := in.forms(vecMem, vecOnly); err != nil {
			return err
		}
		src, dst = in.args[0], in.args[1]
		if src.kind == kVec && src.lanes != max(4, dst.lanes/2) {
			return fmt.Errorf("conversion of %d float32 lanes into %d float64s", src.lanes, dst.lanes/2)
		}
	}
	in.lanes = dst.lanes
	return nil
}

// forms checks that the operands are of the given kinds, in order.
func (in *inst) forms(want ...kinds) error {
	if int(in.nargs) != len(want) {
		return fmt.Errorf("%d operands, want %d", in.nargs, len(want))
	}
	for i, w := range want {
		if w&(1<<in.args[i].kind) == 0 {
			return fmt.Errorf("operand %d has the wrong kind", i+1)
		}
	}
	return nil
}
