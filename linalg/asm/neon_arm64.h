// ASIMD (NEON) instructions the Go arm64 assembler does not accept (vector
// floating-point arithmetic, compares and conversions, and every by-element
// form), emitted as WORDs. Arguments are register numbers, in the Go
// assembler's order: sources first, destination last, so
// FMUL_4S(m, n, d) is the GNU `fmul vd.4s, vn.4s, vm.4s` (d = n*m) and
// FSUB_4S(m, n, d) is d = n - m, like Go's SUB. Every encoding was checked
// against binutils-aarch64-linux-gnu (`aarch64-linux-gnu-objdump -d` of a
// test binary disassembles each WORD to the mnemonic in its comment).

#define NEON_RMN(op, m, n, d) WORD $((op) | ((m)<<16) | ((n)<<5) | (d))
#define NEON_RN(op, n, d) WORD $((op) | ((n)<<5) | (d))
// By-element forms of .4S: lane i of vm, index bits H:L = i.
#define NEON_ELEM(op, m, i, n, d) WORD $((op) | (((i)&1)<<21) | ((m)<<16) | (((i)>>1)<<11) | ((n)<<5) | (d))

#define FADD_4S(m, n, d) NEON_RMN(0x4e20d400, m, n, d) // fadd vd.4s, vn.4s, vm.4s
#define FSUB_4S(m, n, d) NEON_RMN(0x4ea0d400, m, n, d) // fsub vd.4s, vn.4s, vm.4s
#define FMUL_4S(m, n, d) NEON_RMN(0x6e20dc00, m, n, d) // fmul vd.4s, vn.4s, vm.4s
#define FDIV_4S(m, n, d) NEON_RMN(0x6e20fc00, m, n, d) // fdiv vd.4s, vn.4s, vm.4s
#define FMAX_4S(m, n, d) NEON_RMN(0x4e20f400, m, n, d) // fmax vd.4s, vn.4s, vm.4s (NaN if either is NaN)
#define FMIN_4S(m, n, d) NEON_RMN(0x4ea0f400, m, n, d) // fmin vd.4s, vn.4s, vm.4s (NaN if either is NaN)
#define FCMEQ_4S(m, n, d) NEON_RMN(0x4e20e400, m, n, d) // fcmeq vd.4s, vn.4s, vm.4s
#define FCMLT0_4S(n, d) NEON_RN(0x4ea0e800, n, d) // fcmlt vd.4s, vn.4s, #0.0
#define FNEG_4S(n, d) NEON_RN(0x6ea0f800, n, d) // fneg vd.4s, vn.4s
#define FCVTNS_4S(n, d) NEON_RN(0x4e21a800, n, d) // fcvtns vd.4s, vn.4s (round to nearest, ties to even)
#define SCVTF_4S(n, d) NEON_RN(0x4e21d800, n, d) // scvtf vd.4s, vn.4s
#define FMAXV_4S(n, d) NEON_RN(0x6e30f800, n, d) // fmaxv sd, vn.4s (NaN if any lane is NaN)
#define SSHR1_4S(n, d) NEON_RN(0x4f3f0400, n, d) // sshr vd.4s, vn.4s, #1

#define FMUL_4S_ELEM(m, i, n, d) NEON_ELEM(0x4f809000, m, i, n, d) // fmul vd.4s, vn.4s, vm.s[i]
#define FMLA_4S_ELEM(m, i, n, d) NEON_ELEM(0x4f801000, m, i, n, d) // fmla vd.4s, vn.4s, vm.s[i]
