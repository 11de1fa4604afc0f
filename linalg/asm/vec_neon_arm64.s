//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// The elementwise kernels run four vectors (16 floats) per iteration while
// they can, then one vector, then scalar steps for the last len%4.

// func AddToNEON(dst, x []float32)
TEXT ·AddToNEON(SB), NOSPLIT, $0-48
	MOVD	dst_base+0(FP), R0
	MOVD	dst_len+8(FP), R2
	MOVD	x_base+24(FP), R1
	MOVD	R0, R3 // where results go

add16:
	CMP	$16, R2
	BLT	add4
	VLD1.P	64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P	64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FADD_4S(4, 0, 0)
	FADD_4S(5, 1, 1)
	FADD_4S(6, 2, 2)
	FADD_4S(7, 3, 3)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUB	$16, R2
	B	add16

add4:
	CMP	$4, R2
	BLT	add1
	VLD1.P	16(R0), [V0.S4]
	VLD1.P	16(R1), [V4.S4]
	FADD_4S(4, 0, 0)
	VST1.P	[V0.S4], 16(R3)
	SUB	$4, R2
	B	add4

add1:
	CBZ	R2, done
	FMOVS.P	4(R0), F0
	FMOVS.P	4(R1), F4
	FADDS	F4, F0
	FMOVS.P	F0, 4(R3)
	SUB	$1, R2
	B	add1

done:
	RET

// func AxpbyNEON(a float32, y []float32, b float32, x []float32)
TEXT ·AxpbyNEON(SB), NOSPLIT, $0-64
	FMOVS	a+0(FP), F30
	MOVD	y_base+8(FP), R0
	MOVD	y_len+16(FP), R2
	FMOVS	b+32(FP), F31
	MOVD	x_base+40(FP), R1
	MOVD	R0, R3 // where results go

axpby16:
	CMP	$16, R2
	BLT	axpby4
	VLD1.P	64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P	64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FMUL_4S_ELEM(30, 0, 0, 0)
	FMUL_4S_ELEM(30, 0, 1, 1)
	FMUL_4S_ELEM(30, 0, 2, 2)
	FMUL_4S_ELEM(30, 0, 3, 3)
	FMLA_4S_ELEM(31, 0, 4, 0)
	FMLA_4S_ELEM(31, 0, 5, 1)
	FMLA_4S_ELEM(31, 0, 6, 2)
	FMLA_4S_ELEM(31, 0, 7, 3)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUB	$16, R2
	B	axpby16

axpby4:
	CMP	$4, R2
	BLT	axpby1
	VLD1.P	16(R0), [V0.S4]
	VLD1.P	16(R1), [V4.S4]
	FMUL_4S_ELEM(30, 0, 0, 0)
	FMLA_4S_ELEM(31, 0, 4, 0)
	VST1.P	[V0.S4], 16(R3)
	SUB	$4, R2
	B	axpby4

axpby1:
	CBZ	R2, done
	FMOVS.P	4(R0), F0
	FMOVS.P	4(R1), F4
	FMULS	F30, F0
	FMADDS	F31, F0, F4, F0 // F0 += x*b
	FMOVS.P	F0, 4(R3)
	SUB	$1, R2
	B	axpby1

done:
	RET

// func SigmoidGradNEON(d, a []float32)
TEXT ·SigmoidGradNEON(SB), NOSPLIT, $0-48
	MOVD	d_base+0(FP), R0
	MOVD	d_len+8(FP), R2
	MOVD	a_base+24(FP), R1
	MOVD	R0, R3 // where results go
	FMOVS	$1.0, F31
	VDUP	V31.S[0], V31.S4

grad16:
	CMP	$16, R2
	BLT	grad4
	VLD1.P	64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P	64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	FSUB_4S(4, 31, 16) // 1 - a
	FSUB_4S(5, 31, 17)
	FSUB_4S(6, 31, 18)
	FSUB_4S(7, 31, 19)
	FMUL_4S(16, 4, 4)  // a * (1 - a)
	FMUL_4S(17, 5, 5)
	FMUL_4S(18, 6, 6)
	FMUL_4S(19, 7, 7)
	FMUL_4S(4, 0, 0)   // d * a * (1 - a)
	FMUL_4S(5, 1, 1)
	FMUL_4S(6, 2, 2)
	FMUL_4S(7, 3, 3)
	VST1.P	[V0.S4, V1.S4, V2.S4, V3.S4], 64(R3)
	SUB	$16, R2
	B	grad16

grad4:
	CMP	$4, R2
	BLT	grad1
	VLD1.P	16(R0), [V0.S4]
	VLD1.P	16(R1), [V4.S4]
	FSUB_4S(4, 31, 16)
	FMUL_4S(16, 4, 4)
	FMUL_4S(4, 0, 0)
	VST1.P	[V0.S4], 16(R3)
	SUB	$4, R2
	B	grad4

grad1:
	CBZ	R2, done
	FMOVS.P	4(R0), F0
	FMOVS.P	4(R1), F4
	FSUBS	F4, F31, F16
	FMULS	F16, F4
	FMULS	F4, F0
	FMOVS.P	F0, 4(R3)
	SUB	$1, R2
	B	grad1

done:
	RET

// The constants of the vectorized sigmoid, each broadcast to a register by
// VLD1R in this order: V16 to V27.
DATA sigmoidConsts<>+0(SB)/4, $0xc2d10000  // V16 -104.5: exp of less rounds to 0
DATA sigmoidConsts<>+4(SB)/4, $0x3fb8aa3b  // V17 log2(e)
DATA sigmoidConsts<>+8(SB)/4, $0x3f318000  // V18 ln 2 high part, 0.693359375 (exact times any n)
DATA sigmoidConsts<>+12(SB)/4, $0xb95e8083 // V19 ln 2 low part, -2.12194440e-4
DATA sigmoidConsts<>+16(SB)/4, $0x39506967 // V20 p5 1.9875691500e-4 (Cephes expf)
DATA sigmoidConsts<>+20(SB)/4, $0x3ab743ce // V21 p4 1.3981999507e-3
DATA sigmoidConsts<>+24(SB)/4, $0x3c088908 // V22 p3 8.3334519073e-3
DATA sigmoidConsts<>+28(SB)/4, $0x3d2aa9c1 // V23 p2 4.1665795894e-2
DATA sigmoidConsts<>+32(SB)/4, $0x3e2aaaaa // V24 p1 1.6666665459e-1
DATA sigmoidConsts<>+36(SB)/4, $0x3f000000 // V25 p0 0.5
DATA sigmoidConsts<>+40(SB)/4, $0x3f800000 // V26 1
DATA sigmoidConsts<>+44(SB)/4, $127        // V27 the exponent bias, an integer
GLOBL sigmoidConsts<>(SB), RODATA|NOPTR, $48

// SIGMOID replaces each lane v of V0 by 1/(1+exp(-v)), computed as
// 1/(1+e) for v >= 0 and e/(1+e) for v < 0 with e = exp(-|v|) <= 1, which
// cannot overflow. exp(t) is scaled by 2^n in two halves, 2^h * 2^(n-h)
// with h = n>>1, so that both factors are normal floats and a subnormal e
// is rounded once. It uses V1-V7 and the constants in V16-V27.
#define SIGMOID \
	FNEG_4S(0, 1); \
	FMIN_4S(1, 0, 1); /* t = -|v|; NaN stays NaN */ \
	FMAX_4S(16, 1, 1); /* t >= -104.5 */ \
	FMUL_4S(17, 1, 2); \
	FCVTNS_4S(2, 2); /* n = round(t*log2(e)), an integer */ \
	SCVTF_4S(2, 3); \
	VFMLS	V18.S4, V3.S4, V1.S4; /* r = t - n*ln2, in two parts */ \
	VFMLS	V19.S4, V3.S4, V1.S4; \
	VORR	V21.B16, V21.B16, V4.B16; /* p = ((((p5*r + p4)*r + p3)*r + p2)*r + p1)*r + p0 */ \
	VFMLA	V20.S4, V1.S4, V4.S4; \
	VORR	V22.B16, V22.B16, V5.B16; \
	VFMLA	V4.S4, V1.S4, V5.S4; \
	VORR	V23.B16, V23.B16, V4.B16; \
	VFMLA	V5.S4, V1.S4, V4.S4; \
	VORR	V24.B16, V24.B16, V5.B16; \
	VFMLA	V4.S4, V1.S4, V5.S4; \
	VORR	V25.B16, V25.B16, V4.B16; \
	VFMLA	V5.S4, V1.S4, V4.S4; \
	FMUL_4S(1, 1, 5); /* exp(r) = 1 + r + r*r*p */ \
	VFMLA	V4.S4, V5.S4, V1.S4; \
	FADD_4S(26, 1, 1); \
	SSHR1_4S(2, 7); /* h = n>>1, n-h */ \
	VSUB	V7.S4, V2.S4, V2.S4; \
	VADD	V27.S4, V7.S4, V7.S4; /* 2^h = float32 bits (h+127) << 23 */ \
	VADD	V27.S4, V2.S4, V2.S4; \
	VSHL	$23, V7.S4, V7.S4; \
	VSHL	$23, V2.S4, V2.S4; \
	FMUL_4S(7, 1, 1); /* e = exp(r) * 2^h * 2^(n-h) */ \
	FMUL_4S(2, 1, 1); \
	FCMLT0_4S(0, 5); /* numerator: e where v < 0, else 1 */ \
	VBSL	V26.B16, V1.B16, V5.B16; \
	FADD_4S(26, 1, 1); \
	FDIV_4S(1, 5, 0)

// func BiasSigmoidNEON(x, bias []float32)
TEXT ·BiasSigmoidNEON(SB), NOSPLIT, $0-48
	MOVD	x_base+0(FP), R0
	MOVD	x_len+8(FP), R2
	MOVD	bias_base+24(FP), R1
	MOVD	$sigmoidConsts<>(SB), R4
	VLD1R.P	4(R4), [V16.S4]
	VLD1R.P	4(R4), [V17.S4]
	VLD1R.P	4(R4), [V18.S4]
	VLD1R.P	4(R4), [V19.S4]
	VLD1R.P	4(R4), [V20.S4]
	VLD1R.P	4(R4), [V21.S4]
	VLD1R.P	4(R4), [V22.S4]
	VLD1R.P	4(R4), [V23.S4]
	VLD1R.P	4(R4), [V24.S4]
	VLD1R.P	4(R4), [V25.S4]
	VLD1R.P	4(R4), [V26.S4]
	VLD1R	(R4), [V27.S4]

loop:
	CMP	$4, R2
	BLT	tail
	VLD1	(R0), [V0.S4]
	VLD1.P	16(R1), [V6.S4]
	FADD_4S(6, 0, 0)
	SIGMOID
	VST1.P	[V0.S4], 16(R0)
	SUB	$4, R2
	B	loop

	// The last 1-3 elements go through the same code in the low lanes.
tail:
	CBZ	R2, done
	VEOR	V0.B16, V0.B16, V0.B16
	VEOR	V6.B16, V6.B16, V6.B16
	MOVD	R0, R3
	VLD1.P	4(R3), V0.S[0]
	VLD1.P	4(R1), V6.S[0]
	CMP	$2, R2
	BLT	last
	VLD1.P	4(R3), V0.S[1]
	VLD1.P	4(R1), V6.S[1]
	CMP	$3, R2
	BLT	last
	VLD1	(R3), V0.S[2]
	VLD1	(R1), V6.S[2]
last:
	FADD_4S(6, 0, 0)
	SIGMOID
	VST1.P	V0.S[0], 4(R0)
	CMP	$2, R2
	BLT	done
	VST1.P	V0.S[1], 4(R0)
	CMP	$3, R2
	BLT	done
	VST1	V0.S[2], (R0)

done:
	RET

// MATCH sets R5 and R6 to lanes 0-1 and 2-3 of the mask of V1's elements
// that equal V2 (the maximum in every lane) or are NaN; V3 is all ones.
#define MATCH \
	FCMEQ_4S(2, 1, 4); \
	FCMEQ_4S(1, 1, 5); /* x == x: not NaN */ \
	VEOR	V3.B16, V5.B16, V5.B16; \
	VORR	V5.B16, V4.B16, V4.B16; \
	VMOV	V4.D[0], R5; \
	VMOV	V4.D[1], R6

// func ArgmaxNEON(x []float32) int
TEXT ·ArgmaxNEON(SB), NOSPLIT, $0-32
	MOVD	x_base+0(FP), R0
	MOVD	x_len+8(FP), R1
	CMP	$4, R1
	BLT	short

	// Pass 1: V0 = the maximum, NaN if there is a NaN. A ragged end is
	// covered by the last four elements, overlapping the previous ones.
	VLD1	(R0), [V0.S4]
	MOVD	$4, R2       // elements done
	ADD	$16, R0, R3
max:
	ADD	$4, R2, R4
	CMP	R1, R4
	BGT	maxend
	VLD1.P	16(R3), [V1.S4]
	FMAX_4S(1, 0, 0)
	MOVD	R4, R2
	B	max
maxend:
	CMP	R1, R2
	BEQ	reduce
	SUB	$4, R1, R4
	ADD	R4<<2, R0, R3
	VLD1	(R3), [V1.S4]
	FMAX_4S(1, 0, 0)
reduce:
	FMAXV_4S(0, 0)
	VDUP	V0.S[0], V2.S4
	VMOVI	$0xff, V3.B16

	// Pass 2: the first element that matches, four at a time; the
	// maximum is among the elements, so a match is always found.
	MOVD	ZR, R2       // index of V1's lane 0
	MOVD	R0, R3
find:
	ADD	$4, R2, R4
	CMP	R1, R4
	BGT	findend
	VLD1.P	16(R3), [V1.S4]
	MATCH
	ORR	R5, R6, R7
	CBNZ	R7, found
	MOVD	R4, R2
	B	find
findend:
	SUB	$4, R1, R2
	ADD	R2<<2, R0, R3
	VLD1	(R3), [V1.S4]
	MATCH
found:
	// Each lane of the mask is 32 bits; the first set bit's lane is the
	// answer.
	CBNZ	R5, lane
	ADD	$2, R2
	MOVD	R6, R5
lane:
	RBIT	R5, R5
	CLZ	R5, R5
	ADD	R5>>5, R2
	MOVD	R2, ret+24(FP)
	RET

	// Fewer than four elements: the scalar loop.
short:
	MOVD	$-1, R2      // best
	CBZ	R1, shortdone
	MOVD	ZR, R2
	FMOVS	(R0), F0     // x[best]
	MOVD	ZR, R4       // i
shortloop:
	FMOVS.P	4(R0), F1
	FCMPS	F1, F1
	BVS	nan
	FCMPS	F0, F1
	BLE	next
	FMOVS	F1, F0
	MOVD	R4, R2
next:
	ADD	$1, R4
	CMP	R1, R4
	BLT	shortloop
shortdone:
	MOVD	R2, ret+24(FP)
	RET
nan:
	MOVD	R4, ret+24(FP)
	RET
