//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// Registers of GemmNEON8x12:
//	R0  packed A, 8 floats per step    V0, V1    A values of one step
//	R1  packed B, 12 floats per step   V2-V4     B values of one step
//	R2  C                              V5.S[0]   alpha
//	R3  steps left                     V6        beta in every lane
//	R4  ldc in bytes                   V7        scratch
//	R5  m, R6 n                        V8-V31    the tile: row r is V(8+3r)-V(10+3r)
//	R7  beta's bits without the sign: zero iff beta == 0

// ROW_FMA adds one row's products of one step: the row's three
// accumulators, from V(acc) on, get B (V2-V4) times lane l of A vector
// V(av).
#define ROW_FMA(av, l, acc) \
	FMLA_4S_ELEM(av, l, 2, acc); \
	FMLA_4S_ELEM(av, l, 3, acc+1); \
	FMLA_4S_ELEM(av, l, 4, acc+2)

// KSTEP is one step of p: a rank-1 update of the 8x12 tile.
#define KSTEP \
	VLD1.P	32(R0), [V0.S4, V1.S4]; \
	VLD1.P	48(R1), [V2.S4, V3.S4, V4.S4]; \
	ROW_FMA(0, 0, 8); \
	ROW_FMA(0, 1, 11); \
	ROW_FMA(0, 2, 14); \
	ROW_FMA(0, 3, 17); \
	ROW_FMA(1, 0, 20); \
	ROW_FMA(1, 1, 23); \
	ROW_FMA(1, 2, 26); \
	ROW_FMA(1, 3, 29)

// ALPHA_ROW scales the three accumulators from acc on by alpha.
#define ALPHA_ROW(acc) \
	FMUL_4S_ELEM(5, 0, acc, acc); \
	FMUL_4S_ELEM(5, 0, acc+1, acc+1); \
	FMUL_4S_ELEM(5, 0, acc+2, acc+2)

// STORE_ROW_BETA stores one full row of the tile as tile + beta*C, then
// moves R2 to the next row.
#define STORE_ROW_BETA(r0, r1, r2) \
	VLD1	(R2), [V0.S4, V1.S4, V2.S4]; \
	VFMLA	V6.S4, V0.S4, r0.S4; \
	VFMLA	V6.S4, V1.S4, r1.S4; \
	VFMLA	V6.S4, V2.S4, r2.S4; \
	VST1.P	[r0.S4, r1.S4, r2.S4], (R2)(R4)

// func GemmNEON8x12(k int, alpha float32, a, b []float32, beta float32, c []float32, ldc, m, n int)
// The 384-byte frame holds a ragged tile, row-major with 12 columns.
TEXT ·GemmNEON8x12(SB), NOSPLIT, $384-120
	MOVD	k+0(FP), R3
	MOVD	a_base+16(FP), R0
	MOVD	b_base+40(FP), R1
	MOVD	c_base+72(FP), R2
	MOVD	ldc+96(FP), R4
	LSL	$2, R4
	MOVD	m+104(FP), R5
	MOVD	n+112(FP), R6

	VEOR	V8.B16, V8.B16, V8.B16
	VEOR	V9.B16, V9.B16, V9.B16
	VEOR	V10.B16, V10.B16, V10.B16
	VEOR	V11.B16, V11.B16, V11.B16
	VEOR	V12.B16, V12.B16, V12.B16
	VEOR	V13.B16, V13.B16, V13.B16
	VEOR	V14.B16, V14.B16, V14.B16
	VEOR	V15.B16, V15.B16, V15.B16
	VEOR	V16.B16, V16.B16, V16.B16
	VEOR	V17.B16, V17.B16, V17.B16
	VEOR	V18.B16, V18.B16, V18.B16
	VEOR	V19.B16, V19.B16, V19.B16
	VEOR	V20.B16, V20.B16, V20.B16
	VEOR	V21.B16, V21.B16, V21.B16
	VEOR	V22.B16, V22.B16, V22.B16
	VEOR	V23.B16, V23.B16, V23.B16
	VEOR	V24.B16, V24.B16, V24.B16
	VEOR	V25.B16, V25.B16, V25.B16
	VEOR	V26.B16, V26.B16, V26.B16
	VEOR	V27.B16, V27.B16, V27.B16
	VEOR	V28.B16, V28.B16, V28.B16
	VEOR	V29.B16, V29.B16, V29.B16
	VEOR	V30.B16, V30.B16, V30.B16
	VEOR	V31.B16, V31.B16, V31.B16

	// An odd step first, then two steps per iteration.
	TBZ	$0, R3, even
	KSTEP
	SUB	$1, R3
even:
	CBZ	R3, scale
loop:
	KSTEP
	KSTEP
	SUBS	$2, R3
	BNE	loop

scale:
	FMOVS	alpha+8(FP), F5
	FMOVS	$1.0, F7
	FCMPS	F7, F5
	BEQ	scaled
	ALPHA_ROW(8)
	ALPHA_ROW(11)
	ALPHA_ROW(14)
	ALPHA_ROW(17)
	ALPHA_ROW(20)
	ALPHA_ROW(23)
	ALPHA_ROW(26)
	ALPHA_ROW(29)

scaled:
	MOVWU	beta+64(FP), R7
	AND	$0x7fffffff, R7
	FMOVS	beta+64(FP), F6
	VDUP	V6.S[0], V6.S4
	CMP	$8, R5
	BNE	ragged
	CMP	$12, R6
	BNE	ragged

	// A full tile: stored straight from the accumulators.
	CBZ	R7, full0
	STORE_ROW_BETA(V8, V9, V10)
	STORE_ROW_BETA(V11, V12, V13)
	STORE_ROW_BETA(V14, V15, V16)
	STORE_ROW_BETA(V17, V18, V19)
	STORE_ROW_BETA(V20, V21, V22)
	STORE_ROW_BETA(V23, V24, V25)
	STORE_ROW_BETA(V26, V27, V28)
	STORE_ROW_BETA(V29, V30, V31)
	RET

full0:
	VST1.P	[V8.S4, V9.S4, V10.S4], (R2)(R4)
	VST1.P	[V11.S4, V12.S4, V13.S4], (R2)(R4)
	VST1.P	[V14.S4, V15.S4, V16.S4], (R2)(R4)
	VST1.P	[V17.S4, V18.S4, V19.S4], (R2)(R4)
	VST1.P	[V20.S4, V21.S4, V22.S4], (R2)(R4)
	VST1.P	[V23.S4, V24.S4, V25.S4], (R2)(R4)
	VST1.P	[V26.S4, V27.S4, V28.S4], (R2)(R4)
	VST1.P	[V29.S4, V30.S4, V31.S4], (R2)(R4)
	RET

	// A ragged tile: V8-V31 in order are the 8x12 tile in row-major
	// order, so six stores copy it to the frame; then each of the m rows
	// is stored four columns at a time and the last n%4 one by one.
ragged:
	ADD	$8, RSP, R8
	MOVD	R8, R9
	VST1.P	[V8.S4, V9.S4, V10.S4, V11.S4], 64(R9)
	VST1.P	[V12.S4, V13.S4, V14.S4, V15.S4], 64(R9)
	VST1.P	[V16.S4, V17.S4, V18.S4, V19.S4], 64(R9)
	VST1.P	[V20.S4, V21.S4, V22.S4, V23.S4], 64(R9)
	VST1.P	[V24.S4, V25.S4, V26.S4, V27.S4], 64(R9)
	VST1.P	[V28.S4, V29.S4, V30.S4, V31.S4], 64(R9)

row:
	MOVD	R8, R9  // tile row
	MOVD	R2, R10 // C row
	MOVD	R6, R11 // columns left
	CMP	$4, R11
	BLT	lanes
quad:
	VLD1.P	16(R9), [V0.S4]
	CBZ	R7, quadstore
	VLD1	(R10), [V1.S4]
	VFMLA	V6.S4, V1.S4, V0.S4
quadstore:
	VST1.P	[V0.S4], 16(R10)
	SUB	$4, R11
	CMP	$4, R11
	BGE	quad
lanes:
	CBZ	R11, nextrow
lane:
	FMOVS.P	4(R9), F0
	CBZ	R7, lanestore
	FMOVS	(R10), F1
	FMADDS	F6, F0, F1, F0 // F0 += F1*beta
lanestore:
	FMOVS.P	F0, 4(R10)
	SUBS	$1, R11
	BNE	lane
nextrow:
	ADD	$48, R8
	ADD	R4, R2
	SUBS	$1, R5
	BNE	row
	RET
