package linalg

// genericGemm is the portable GEMM: the shared blocked driver around a
// scalar micro-kernel that computes a 4x12 tile one row at a time. nc is a
// whole number of 12-column panels.
var genericGemm = gemmKernel{mr: 4, nr: 12, mc: 128, kc: 256, nc: 2040, micro: microGeneric4x12, axpyRows: axpyRowsGeneric}

// microGeneric4x12 is the portable micro-kernel. The Go compiler has only
// 15 X registers on amd64 and no FMA, so instead of a square register
// block it runs the 1x12 kernel rowTimesPanel once per row of the tile:
// every row streams the same packed B panel, which stays in L1.
func microGeneric4x12(k int, alpha float32, ap, bp []float32, beta float32, c []float32, ldc, m, n int) {
	ap = ap[:4*k]
	bp = bp[:12*k]
	for i := range m {
		c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 := rowTimesPanel(i, ap, bp)
		acc := [12]float32{c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11}
		// The sums come back negated, so alpha changes sign.
		storeRow(c[i*ldc:i*ldc+n], acc[:n], -alpha, beta)
	}
}

// rowTimesPanel returns the negated products of row i (0..3) of the packed
// A panel ap (4 values per step of k) with the 12 columns of the packed B
// panel bp (12 values per step). The twelve sums, the current A value and
// one product fill 14 of the 15 X registers, so nothing spills. The shape
// of the code is what makes the compiler emit a tight loop; keep these
// properties when changing it:
//
//   - Each loop is a single basic block: the array-pointer conversions that
//     carry the bounds checks sit after the exit test, where they are
//     proven, and the body indexes arrays with constants (plus i, which the
//     mask bounds). The SSA scheduler then keeps the source order (multiply,
//     then accumulate, one column at a time) instead of hoisting all twelve
//     products ahead of the additions, which needs 25 live registers and
//     spills sums across the loop's back edge.
//   - The sums are negated (c -= x*b): SUBSS, unlike the commutative ADDSS,
//     always overwrites its first operand, so each sum keeps its register
//     and the back edge needs no moves. Negation is exact, so the result
//     equals the plain sum bit for bit.
//   - The main loop is unrolled four steps of k deep to spread the loop
//     overhead; a one-step loop finishes the remainder.
func rowTimesPanel(i int, ap, bp []float32) (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 float32) {
	i &= 3
	var x float32
	if len(ap) >= 16 && len(bp) >= 48 {
		pa, pb := (*[16]float32)(ap), (*[48]float32)(bp)
		ap, bp = ap[16:], bp[48:]
		for {
			x = pa[i]
			c0 -= x * pb[0]
			c1 -= x * pb[1]
			c2 -= x * pb[2]
			c3 -= x * pb[3]
			c4 -= x * pb[4]
			c5 -= x * pb[5]
			c6 -= x * pb[6]
			c7 -= x * pb[7]
			c8 -= x * pb[8]
			c9 -= x * pb[9]
			c10 -= x * pb[10]
			c11 -= x * pb[11]
			x = pa[4+i]
			c0 -= x * pb[12]
			c1 -= x * pb[13]
			c2 -= x * pb[14]
			c3 -= x * pb[15]
			c4 -= x * pb[16]
			c5 -= x * pb[17]
			c6 -= x * pb[18]
			c7 -= x * pb[19]
			c8 -= x * pb[20]
			c9 -= x * pb[21]
			c10 -= x * pb[22]
			c11 -= x * pb[23]
			x = pa[8+i]
			c0 -= x * pb[24]
			c1 -= x * pb[25]
			c2 -= x * pb[26]
			c3 -= x * pb[27]
			c4 -= x * pb[28]
			c5 -= x * pb[29]
			c6 -= x * pb[30]
			c7 -= x * pb[31]
			c8 -= x * pb[32]
			c9 -= x * pb[33]
			c10 -= x * pb[34]
			c11 -= x * pb[35]
			x = pa[12+i]
			c0 -= x * pb[36]
			c1 -= x * pb[37]
			c2 -= x * pb[38]
			c3 -= x * pb[39]
			c4 -= x * pb[40]
			c5 -= x * pb[41]
			c6 -= x * pb[42]
			c7 -= x * pb[43]
			c8 -= x * pb[44]
			c9 -= x * pb[45]
			c10 -= x * pb[46]
			c11 -= x * pb[47]
			if len(ap) < 16 || len(bp) < 48 {
				break
			}
			pa, pb = (*[16]float32)(ap), (*[48]float32)(bp)
			ap, bp = ap[16:], bp[48:]
		}
	}
	if len(ap) >= 4 && len(bp) >= 12 {
		pa, pb := (*[4]float32)(ap), (*[12]float32)(bp)
		ap, bp = ap[4:], bp[12:]
		for {
			x = pa[i]
			c0 -= x * pb[0]
			c1 -= x * pb[1]
			c2 -= x * pb[2]
			c3 -= x * pb[3]
			c4 -= x * pb[4]
			c5 -= x * pb[5]
			c6 -= x * pb[6]
			c7 -= x * pb[7]
			c8 -= x * pb[8]
			c9 -= x * pb[9]
			c10 -= x * pb[10]
			c11 -= x * pb[11]
			if len(ap) < 4 || len(bp) < 12 {
				break
			}
			pa, pb = (*[4]float32)(ap), (*[12]float32)(bp)
			ap, bp = ap[4:], bp[12:]
		}
	}
	return c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11
}

// storeRow writes row[j] = alpha*acc[j] + beta*row[j], never reading row
// when beta == 0. acc must be as long as row.
func storeRow(row, acc []float32, alpha, beta float32) {
	acc = acc[:len(row)]
	if beta == 0 {
		for j, v := range acc {
			row[j] = alpha * v
		}
		return
	}
	for j, v := range acc {
		row[j] = alpha*v + beta*row[j]
	}
}
