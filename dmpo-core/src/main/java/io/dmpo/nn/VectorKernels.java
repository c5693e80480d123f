package io.dmpo.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD kernels: the only class in the project that uses {@code jdk.incubator.vector}. Reached through
 * {@link Kernels}; {@link ScalarKernels} computes the same functions with plain loops for comparison.
 *
 * <p>Determinism: horizontal sums use a fixed butterfly of lane shuffles (not {@code reduceLanes}, whose order may
 * differ between the interpreter and compiled code), and every output element is produced by the same sequence of
 * operations whichever register block it falls in. So a run is bitwise repeatable and independent of thread count.
 */
final class VectorKernels {
    private VectorKernels() {}

    static final VectorSpecies<Float> S = species();
    static final int VL = S.length();

    /**
     * The host's preferred float vector, or the width {@code -Ddmpo.vectorLanes=4|8|16} asks for: forcing 8 lanes on an
     * AVX-512 host reproduces an AVX2 host's results bit for bit, and forcing 16 lanes on an AVX2 host (the Vector
     * API's slow Java path) lets a test check the 16-lane read offsets there (docs/engine.md, "Buffers and slack").
     */
    private static VectorSpecies<Float> species() {
        String lanes = System.getProperty("dmpo.vectorLanes");
        if (lanes == null || lanes.isBlank()) return FloatVector.SPECIES_PREFERRED;
        return switch (lanes.strip()) {
            case "4" -> FloatVector.SPECIES_128;
            case "8" -> FloatVector.SPECIES_256;
            case "16" -> FloatVector.SPECIES_512;
            default -> throw new ExceptionInInitializerError("dmpo.vectorLanes must be 4, 8 or 16, got '" + lanes + "'");
        };
    }

    /**
     * With {@code -Ddmpo.kernels.strict=true} a partial load or store whose vector would cross its array's end is an
     * error instead of the slow lane-by-lane path: the allocation-free sessions allocate every buffer with
     * {@link Kernels#SLACK} floats of slack, and their tests run strict to prove no read ever needs that path.
     */
    static final boolean STRICT = Boolean.getBoolean("dmpo.kernels.strict");
    // Butterfly shuffles as constants (static final fields, unlike array elements, are folded by the JIT).
    private static final VectorShuffle<Float> XOR8 = VL >= 16 ? VectorShuffle.fromOp(S, lane -> lane ^ 8) : null;
    private static final VectorShuffle<Float> XOR4 = VL >= 8 ? VectorShuffle.fromOp(S, lane -> lane ^ 4) : null;
    private static final VectorShuffle<Float> XOR2 = VectorShuffle.fromOp(S, lane -> lane ^ 2);
    private static final VectorShuffle<Float> XOR1 = VectorShuffle.fromOp(S, lane -> lane ^ 1);

    /**
     * Whether 6×3 register blocks (18 accumulators + 3 weight vectors + 1 broadcast) fit in the vector registers: only
     * with AVX-512's 32. With AVX2's 16, C2 gives up on such a block and runs the Vector API's Java fallback (several
     * times slower), so 6×2 blocks (15 live vectors) are the widest used there.
     */
    private static final boolean THREE_WIDE = VL >= 16;

    /** Masks of the first r lanes, r = 0 .. VL (made once: building one per call runs the Vector API's Java path). */
    private static final VectorMask<Float>[] TAIL_MASKS = tailMasks();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] tailMasks() {
        VectorMask<Float>[] m = new VectorMask[VL + 1];
        for (int r = 0; r <= VL; r++) m[r] = S.indexInRange(0, r);
        return m;
    }

    /** The first {@code valid} lanes (clamped to 0 .. VL), as {@code S.indexInRange(0, valid)}. */
    static VectorMask<Float> tailMask(int valid) {
        return TAIL_MASKS[Math.max(0, Math.min(VL, valid))];
    }

    static {
        if (VL > 16 || VL < 4) throw new ExceptionInInitializerError("unsupported float vector length " + VL);
    }

    /**
     * The first {@code valid} lanes at {@code off} (the rest zero). A masked load whose full vector would run past the
     * array's end takes a very slow (and allocating) path in the Vector API, so such a load is built lane by lane
     * instead, allocating nothing; both give the same lanes. Buffers from {@link Kernels#buffer} never need it.
     */
    static FloatVector loadPartial(float[] arr, int off, int valid, VectorMask<Float> mask) {
        if (off + VL <= arr.length) return FloatVector.fromArray(S, arr, off, mask);
        if (STRICT) throw crossing("load", arr, off, valid);
        FloatVector v = FloatVector.zero(S);
        for (int i = 0; i < valid; i++) v = v.withLane(i, arr[off + i]);
        return v;
    }

    /** Stores the first {@code valid} lanes at {@code off} (see {@link #loadPartial}). */
    static void storePartial(FloatVector v, float[] arr, int off, int valid, VectorMask<Float> mask) {
        if (off + VL <= arr.length) {
            v.intoArray(arr, off, mask);
        } else {
            if (STRICT) throw crossing("store", arr, off, valid);
            for (int i = 0; i < valid; i++) arr[off + i] = v.lane(i);
        }
    }

    private static IllegalStateException crossing(String what, float[] arr, int off, int valid) {
        return new IllegalStateException("strict kernels: a " + VL + "-lane " + what + " of " + valid + " floats at "
                + off + " crosses the end of a " + arr.length + "-float buffer (allocate it with Kernels.buffer)");
    }

    // The four-way fold of store4 for 16 lanes (AVX-512) and 8 lanes (AVX2): the first butterfly stage is shared by
    // two totals through a blend of halves, the second by all four through a blend of quarter groups.
    private static final VectorShuffle<Float> FOLD_HALF = VL == 16 ? XOR8 : VL == 8 ? XOR4 : null;
    private static final VectorShuffle<Float> FOLD_QUARTER = VL == 16 ? XOR4 : VL == 8 ? XOR2 : null;
    private static final VectorMask<Float> UPPER_HALF = VL == 16 ? VectorMask.fromLong(S, 0xFF00L) : VL == 8 ? VectorMask.fromLong(S, 0xF0L) : null;
    private static final VectorMask<Float> ODD_QUARTERS = VL == 16 ? VectorMask.fromLong(S, 0xF0F0L) : VL == 8 ? VectorMask.fromLong(S, 0xCCL) : null;

    /**
     * Stores sum(s0) .. sum(s3) to c[idx .. idx+3], one by one: the kernels write the 8- and 16-lane fold of the four
     * totals out inline (a vector-taking helper that C2 declines to inline boxes its arguments), so this serves only
     * narrower vectors.
     */
    private static void store4(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3, float[] c, int idx, boolean acc) {
        store(c, idx, sum(s0), acc);
        store(c, idx + 1, sum(s1), acc);
        store(c, idx + 2, sum(s2), acc);
        store(c, idx + 3, sum(s3), acc);
    }

    /**
     * The machine's FMA throughput probe: 12 independent fma chains (enough to cover the fma latency on two pipes, few
     * enough for AVX2's 16 registers) for {@code iterations} rounds; returns a value that depends on every chain so the
     * work cannot be dropped. Each round is {@link #FMA_PROBE_VECTORS}·VL fused multiply-adds.
     */
    static float fmaProbe(long iterations) {
        FloatVector m = FloatVector.broadcast(S, 0.999f), d = FloatVector.broadcast(S, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(S, 0.10f), a1 = FloatVector.broadcast(S, 0.11f);
        FloatVector a2 = FloatVector.broadcast(S, 0.12f), a3 = FloatVector.broadcast(S, 0.13f);
        FloatVector a4 = FloatVector.broadcast(S, 0.14f), a5 = FloatVector.broadcast(S, 0.15f);
        FloatVector a6 = FloatVector.broadcast(S, 0.16f), a7 = FloatVector.broadcast(S, 0.17f);
        FloatVector a8 = FloatVector.broadcast(S, 0.18f), a9 = FloatVector.broadcast(S, 0.19f);
        FloatVector a10 = FloatVector.broadcast(S, 0.20f), a11 = FloatVector.broadcast(S, 0.21f);
        // each chain accumulates into the fma's addend (a += m·d), the form C2 emits as one vfmadd231ps; a·m + d needs a
        // register copy per fma and read 84-89 GFLOP/s where the same chains in C reach 100. An int loop nest with four
        // rounds per trip keeps the loop's own overhead and safepoint poll out of the way.
        while (iterations > 0) {
            int chunk = (int) Math.min(iterations, 1 << 20);
            iterations -= chunk;
            for (int i = 0; i < chunk; i++) {
                for (int u = 0; u < FMA_PROBE_UNROLL; u++) {
                    a0 = m.fma(d, a0);
                    a1 = m.fma(d, a1);
                    a2 = m.fma(d, a2);
                    a3 = m.fma(d, a3);
                    a4 = m.fma(d, a4);
                    a5 = m.fma(d, a5);
                    a6 = m.fma(d, a6);
                    a7 = m.fma(d, a7);
                    a8 = m.fma(d, a8);
                    a9 = m.fma(d, a9);
                    a10 = m.fma(d, a10);
                    a11 = m.fma(d, a11);
                }
            }
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }

    /** Vector FMAs per round of {@link #fmaProbe}: twelve independent chains, four times. */
    static final int FMA_PROBE_UNROLL = 4;
    static final int FMA_PROBE_VECTORS = 12 * FMA_PROBE_UNROLL;

    /** Sum of the lanes in a fixed order (a butterfly of lane swaps). */
    static float sum(FloatVector v) {
        if (VL >= 16) v = v.add(v.rearrange(XOR8));
        if (VL >= 8) v = v.add(v.rearrange(XOR4));
        v = v.add(v.rearrange(XOR2));
        v = v.add(v.rearrange(XOR1));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND_MAGIC = 12582912f; // 1.5·2^23: adding and subtracting it rounds to an integer

    /**
     * a[off, off + n) ← e^a, n a multiple of VL: e^x from basic lane operations only (Cody–Waite reduction, Cephes'
     * degree-6 polynomial, ~1 ulp; inputs clamped to [−87.3, 88]). The Vector API's EXP/TANH are not used because their
     * compiled (SVML) and interpreted results differ in the last bit, which would make a training run depend on when the
     * JIT compiled it.
     *
     * <p>Why over an array and not as a {@code FloatVector → FloatVector} helper: C2 declined to inline such a helper
     * (185 bytes of bytecode) into its larger callers ("callee is too large", "already compiled into a medium
     * method"), and a vector handed to a method that is not inlined is boxed on the heap — the pointwise GELU allocated
     * 12 bytes per element for it (docs/benchmarks.md, "e^x boxed its vectors"). Callers therefore write exp's argument to memory (a
     * per-thread block in L1, {@link #scratch}), call this once per block, and read the result back: a call per block
     * of floats instead of one per vector, with nothing boxed whatever the JIT decides.
     */
    static void expInPlace(float[] a, int off, int n) {
        FloatVector c1 = FloatVector.broadcast(S, 1.9875691500e-4f), c2 = FloatVector.broadcast(S, 1.3981999507e-3f),
                c3 = FloatVector.broadcast(S, 8.3334519073e-3f), c4 = FloatVector.broadcast(S, 4.1665795894e-2f),
                c5 = FloatVector.broadcast(S, 1.6666665459e-1f), c6 = FloatVector.broadcast(S, 5.0000001201e-1f),
                hi = FloatVector.broadcast(S, -LN2_HI), lo = FloatVector.broadcast(S, -LN2_LO);
        for (int i = 0; i < n; i += VL) {
            FloatVector x = FloatVector.fromArray(S, a, off + i).max(-87.3f).min(88f);
            FloatVector k = x.mul(LOG2E).add(ROUND_MAGIC).sub(ROUND_MAGIC);
            FloatVector r = k.fma(hi, x);
            r = k.fma(lo, r);
            FloatVector p = r.fma(c1, c2);
            p = p.fma(r, c3);
            p = p.fma(r, c4);
            p = p.fma(r, c5);
            p = p.fma(r, c6);
            p = p.fma(r.mul(r), r).add(1f);
            IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
            p.mul(bits.reinterpretAsFloats()).intoArray(a, off + i);
        }
    }

    /** Floats per block of {@link #expInPlace}'s callers: a multiple of every vector length, a few KB (L1). */
    static final int EXP_BLOCK = 256;
    private static final ThreadLocal<float[]> EXP_SCRATCH = ThreadLocal.withInitial(() -> new float[3 * EXP_BLOCK]);

    /** A per-thread buffer of at least {@code n} floats (contents undefined; no allocation once it has grown). */
    private static float[] scratch(int n) {
        float[] s = EXP_SCRATCH.get();
        if (s.length < n) {
            s = new float[n];
            EXP_SCRATCH.set(s);
        }
        return s;
    }

    private static void store(float[] c, int idx, float s, boolean acc) {
        c[idx] = acc ? c[idx] + s : s;
    }

    /**
     * C (+)= A·Bᵀ, each output a dot product of two contiguous rows. Used where rows are few (batch-1 inference and its
     * tangent: the weights are streamed once); large batches go through {@link #gemmBroadcastA} on a transposed copy.
     */
    static void gemmNT(int m, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb,
                       float[] c, int co, int ldc, boolean acc) {
        int i = 0;
        for (; i + 2 <= m; i += 2) ntRows2(i, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, acc);
        for (; i < m; i++) ntRows1(i, n, k, a, ao, lda, b, bo, ldb, c, co, ldc, acc);
    }

    /** Rows i..i+1 of C against all n rows of B (A's partial last vector loaded where used; see {@link #ntRows1}). */
    private static void ntRows2(int i, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int kb = S.loopBound(k);
        boolean hasTail = kb < k;
        VectorMask<Float> tail = tailMask(k - kb);
        int a0 = ao + (i + 0) * lda;
        int a1 = ao + (i + 1) * lda;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int b0 = bo + (j + 0) * ldb;
            int b1 = bo + (j + 1) * ldb;
            int b2 = bo + (j + 2) * ldb;
            int b3 = bo + (j + 3) * ldb;
            FloatVector s00 = FloatVector.zero(S);
            FloatVector s01 = FloatVector.zero(S);
            FloatVector s02 = FloatVector.zero(S);
            FloatVector s03 = FloatVector.zero(S);
            FloatVector s10 = FloatVector.zero(S);
            FloatVector s11 = FloatVector.zero(S);
            FloatVector s12 = FloatVector.zero(S);
            FloatVector s13 = FloatVector.zero(S);
            for (int p = 0; p < kb; p += VL) {
                FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
                FloatVector w0 = FloatVector.fromArray(S, b, b0 + p);
                s00 = x0.fma(w0, s00);
                s10 = x1.fma(w0, s10);
                FloatVector w1 = FloatVector.fromArray(S, b, b1 + p);
                s01 = x0.fma(w1, s01);
                s11 = x1.fma(w1, s11);
                FloatVector w2 = FloatVector.fromArray(S, b, b2 + p);
                s02 = x0.fma(w2, s02);
                s12 = x1.fma(w2, s12);
                FloatVector w3 = FloatVector.fromArray(S, b, b3 + p);
                s03 = x0.fma(w3, s03);
                s13 = x1.fma(w3, s13);
            }
            if (hasTail) { // the last partial vector, masked: same per-element order in every block shape
                FloatVector xt0 = loadPartial(a, a0 + kb, k - kb, tail);
                FloatVector xt1 = loadPartial(a, a1 + kb, k - kb, tail);
                FloatVector w0 = loadPartial(b, b0 + kb, k - kb, tail);
                s00 = xt0.fma(w0, s00);
                s10 = xt1.fma(w0, s10);
                FloatVector w1 = loadPartial(b, b1 + kb, k - kb, tail);
                s01 = xt0.fma(w1, s01);
                s11 = xt1.fma(w1, s11);
                FloatVector w2 = loadPartial(b, b2 + kb, k - kb, tail);
                s02 = xt0.fma(w2, s02);
                s12 = xt1.fma(w2, s12);
                FloatVector w3 = loadPartial(b, b3 + kb, k - kb, tail);
                s03 = xt0.fma(w3, s03);
                s13 = xt1.fma(w3, s13);
            }
            if (VL >= 8) { // store4 written out: a vector-taking helper that C2 declines to inline boxes its arguments
                FloatVector f01 = s00.add(s00.rearrange(FOLD_HALF)).blend(s01.add(s01.rearrange(FOLD_HALF)), UPPER_HALF);
                FloatVector f23 = s02.add(s02.rearrange(FOLD_HALF)).blend(s03.add(s03.rearrange(FOLD_HALF)), UPPER_HALF);
                f01 = f01.add(f01.rearrange(FOLD_QUARTER));
                f23 = f23.add(f23.rearrange(FOLD_QUARTER));
                FloatVector f = f01.blend(f23, ODD_QUARTERS);
                if (VL == 16) f = f.add(f.rearrange(XOR2));
                f = f.add(f.rearrange(XOR1));
                int at = co + (i + 0) * ldc + j;
                store(c, at, f.lane(0), acc);
                store(c, at + 1, f.lane(VL / 2), acc);
                store(c, at + 2, f.lane(VL / 4), acc);
                store(c, at + 3, f.lane(3 * VL / 4), acc);
            } else {
                store4(s00, s01, s02, s03, c, co + (i + 0) * ldc + j, acc);
            }
            if (VL >= 8) { // store4 written out: a vector-taking helper that C2 declines to inline boxes its arguments
                FloatVector f01 = s10.add(s10.rearrange(FOLD_HALF)).blend(s11.add(s11.rearrange(FOLD_HALF)), UPPER_HALF);
                FloatVector f23 = s12.add(s12.rearrange(FOLD_HALF)).blend(s13.add(s13.rearrange(FOLD_HALF)), UPPER_HALF);
                f01 = f01.add(f01.rearrange(FOLD_QUARTER));
                f23 = f23.add(f23.rearrange(FOLD_QUARTER));
                FloatVector f = f01.blend(f23, ODD_QUARTERS);
                if (VL == 16) f = f.add(f.rearrange(XOR2));
                f = f.add(f.rearrange(XOR1));
                int at = co + (i + 1) * ldc + j;
                store(c, at, f.lane(0), acc);
                store(c, at + 1, f.lane(VL / 2), acc);
                store(c, at + 2, f.lane(VL / 4), acc);
                store(c, at + 3, f.lane(3 * VL / 4), acc);
            } else {
                store4(s10, s11, s12, s13, c, co + (i + 1) * ldc + j, acc);
            }
        }
        for (; j < n; j++) {
            int b0 = bo + (j + 0) * ldb;
            FloatVector s00 = FloatVector.zero(S);
            FloatVector s10 = FloatVector.zero(S);
            for (int p = 0; p < kb; p += VL) {
                FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                FloatVector x1 = FloatVector.fromArray(S, a, a1 + p);
                FloatVector w0 = FloatVector.fromArray(S, b, b0 + p);
                s00 = x0.fma(w0, s00);
                s10 = x1.fma(w0, s10);
            }
            if (hasTail) { // the last partial vector, masked: same per-element order in every block shape
                FloatVector xt0 = loadPartial(a, a0 + kb, k - kb, tail);
                FloatVector xt1 = loadPartial(a, a1 + kb, k - kb, tail);
                FloatVector w0 = loadPartial(b, b0 + kb, k - kb, tail);
                s00 = xt0.fma(w0, s00);
                s10 = xt1.fma(w0, s10);
            }
            store(c, co + (i + 0) * ldc + j + 0, sum(s00), acc);
            store(c, co + (i + 1) * ldc + j + 0, sum(s10), acc);
        }
    }

    /**
     * Rows i..i+0 of C against all n rows of B. A's partial last vector is loaded where it is used, not once before
     * the loop: a vector defined as "tail load or zero" is a phi that C2 sometimes fails to keep in a register, and
     * then every iteration re-materializes it through the Vector API's Java path (a JVM run came out 1.5× slower).
     */
    private static void ntRows1(int i, int n, int k, float[] a, int ao, int lda, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int kb = S.loopBound(k);
        boolean hasTail = kb < k;
        VectorMask<Float> tail = tailMask(k - kb);
        int a0 = ao + (i + 0) * lda;
        int j = 0;
        for (; j + 4 <= n; j += 4) {
            int b0 = bo + (j + 0) * ldb;
            int b1 = bo + (j + 1) * ldb;
            int b2 = bo + (j + 2) * ldb;
            int b3 = bo + (j + 3) * ldb;
            FloatVector s00 = FloatVector.zero(S);
            FloatVector s01 = FloatVector.zero(S);
            FloatVector s02 = FloatVector.zero(S);
            FloatVector s03 = FloatVector.zero(S);
            for (int p = 0; p < kb; p += VL) {
                FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                FloatVector w0 = FloatVector.fromArray(S, b, b0 + p);
                s00 = x0.fma(w0, s00);
                FloatVector w1 = FloatVector.fromArray(S, b, b1 + p);
                s01 = x0.fma(w1, s01);
                FloatVector w2 = FloatVector.fromArray(S, b, b2 + p);
                s02 = x0.fma(w2, s02);
                FloatVector w3 = FloatVector.fromArray(S, b, b3 + p);
                s03 = x0.fma(w3, s03);
            }
            if (hasTail) { // the last partial vector, masked: same per-element order in every block shape
                FloatVector xt0 = loadPartial(a, a0 + kb, k - kb, tail);
                FloatVector w0 = loadPartial(b, b0 + kb, k - kb, tail);
                s00 = xt0.fma(w0, s00);
                FloatVector w1 = loadPartial(b, b1 + kb, k - kb, tail);
                s01 = xt0.fma(w1, s01);
                FloatVector w2 = loadPartial(b, b2 + kb, k - kb, tail);
                s02 = xt0.fma(w2, s02);
                FloatVector w3 = loadPartial(b, b3 + kb, k - kb, tail);
                s03 = xt0.fma(w3, s03);
            }
            if (VL >= 8) { // store4 written out: a vector-taking helper that C2 declines to inline boxes its arguments
                FloatVector f01 = s00.add(s00.rearrange(FOLD_HALF)).blend(s01.add(s01.rearrange(FOLD_HALF)), UPPER_HALF);
                FloatVector f23 = s02.add(s02.rearrange(FOLD_HALF)).blend(s03.add(s03.rearrange(FOLD_HALF)), UPPER_HALF);
                f01 = f01.add(f01.rearrange(FOLD_QUARTER));
                f23 = f23.add(f23.rearrange(FOLD_QUARTER));
                FloatVector f = f01.blend(f23, ODD_QUARTERS);
                if (VL == 16) f = f.add(f.rearrange(XOR2));
                f = f.add(f.rearrange(XOR1));
                int at = co + (i + 0) * ldc + j;
                store(c, at, f.lane(0), acc);
                store(c, at + 1, f.lane(VL / 2), acc);
                store(c, at + 2, f.lane(VL / 4), acc);
                store(c, at + 3, f.lane(3 * VL / 4), acc);
            } else {
                store4(s00, s01, s02, s03, c, co + (i + 0) * ldc + j, acc);
            }
        }
        for (; j < n; j++) {
            int b0 = bo + (j + 0) * ldb;
            FloatVector s00 = FloatVector.zero(S);
            for (int p = 0; p < kb; p += VL) {
                FloatVector x0 = FloatVector.fromArray(S, a, a0 + p);
                FloatVector w0 = FloatVector.fromArray(S, b, b0 + p);
                s00 = x0.fma(w0, s00);
            }
            if (hasTail) { // the last partial vector, masked: same per-element order in every block shape
                FloatVector xt0 = loadPartial(a, a0 + kb, k - kb, tail);
                FloatVector w0 = loadPartial(b, b0 + kb, k - kb, tail);
                s00 = xt0.fma(w0, s00);
            }
            store(c, co + (i + 0) * ldc + j + 0, sum(s00), acc);
        }
    }

    /** C (+)= A·B with A(i, p) = a[ao + i·ai + p·ap]: each A element is broadcast against a row of B. */
    static void gemmBroadcastA(int m, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                               float[] c, int co, int ldc, boolean acc) {
        int i = 0, jt = n / VL * VL;
        // Blocks of four rows read B's tail columns [jt, n) from a zero-padded copy made once per call: a masked load in
        // the inner loop runs ~15x slower than a plain one (measured: a 45-wide product at 5 GFLOP/s, a 48-wide one at
        // 85). The padded lanes compute zeros that are never stored; the valid lanes see the same operations in the
        // same order as the masked loads of the single-row tail, so the values are bitwise the same.
        float[] pb = jt < n && m >= 4 ? paddedTail(b, bo + jt, ldb, n - jt, k) : null;
        for (; i + 4 <= m; i += 4) {
            int j = 0;
            for (; j + 2 * VL <= n; j += 2 * VL) bc4x2(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
            for (; j + VL <= n; j += VL) bc4x1(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
            if (j < n) bcTail4Padded(i, j, n, k, a, ao, ai, ap, pb, c, co, ldc, acc);
        }
        for (; i < m; i++) {
            int j = 0;
            for (; j + 2 * VL <= n; j += 2 * VL) bc1x2(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
            for (; j + VL <= n; j += VL) bc1x1(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
            if (j < n) bcTail(i, j, n, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
        }
    }

    private static final ThreadLocal<float[]> TAIL_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** Rows p of B's columns [off, off + valid) as k full vectors (lanes past {@code valid} zero), in a per-thread buffer. */
    private static float[] paddedTail(float[] b, int off, int ldb, int valid, int k) {
        float[] pb = TAIL_SCRATCH.get();
        if (pb.length < (k + 1) * VL) { // the last vector: staging for C's partial rows
            pb = new float[(k + 1) * VL];
            TAIL_SCRATCH.set(pb);
        }
        for (int p = 0; p < k; p++) {
            int src = off + p * ldb, dst = p * VL;
            for (int l = 0; l < valid; l++) pb[dst + l] = b[src + l];
            for (int l = valid; l < VL; l++) pb[dst + l] = 0f;
        }
        return pb;
    }

    /**
     * Four rows of columns [j, n), fewer than one vector (see {@link #bcTail}): B from {@link #paddedTail}, C staged through the buffer's last
     * vector: plain loads and stores only (masked ones measured far slower even where they need not be).
     */
    private static void bcTail4Padded(int i, int j, int n, int k, float[] a, int ao, int ai, int ap, float[] pb,
                                      float[] c, int co, int ldc, boolean acc) {
        int valid = n - j, stage = k * VL;
        int c0 = co + i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector s0 = acc ? staged(c, c0, valid, pb, stage) : FloatVector.zero(S);
        FloatVector s1 = acc ? staged(c, c1, valid, pb, stage) : FloatVector.zero(S);
        FloatVector s2 = acc ? staged(c, c2, valid, pb, stage) : FloatVector.zero(S);
        FloatVector s3 = acc ? staged(c, c3, valid, pb, stage) : FloatVector.zero(S);
        int ar0 = ao + i * ai, ar1 = ar0 + ai, ar2 = ar1 + ai, ar3 = ar2 + ai;
        for (int p = 0; p < k; p++) {
            FloatVector w = FloatVector.fromArray(S, pb, p * VL);
            int pa = p * ap;
            s0 = FloatVector.broadcast(S, a[ar0 + pa]).fma(w, s0);
            s1 = FloatVector.broadcast(S, a[ar1 + pa]).fma(w, s1);
            s2 = FloatVector.broadcast(S, a[ar2 + pa]).fma(w, s2);
            s3 = FloatVector.broadcast(S, a[ar3 + pa]).fma(w, s3);
        }
        unstage(s0, c, c0, valid, pb, stage);
        unstage(s1, c, c1, valid, pb, stage);
        unstage(s2, c, c2, valid, pb, stage);
        unstage(s3, c, c3, valid, pb, stage);
    }

    /** The first {@code valid} floats at {@code off} as a vector (the other lanes zero), through {@code buf[at ..]}. */
    private static FloatVector staged(float[] arr, int off, int valid, float[] buf, int at) {
        System.arraycopy(arr, off, buf, at, valid);
        java.util.Arrays.fill(buf, at + valid, at + VL, 0f);
        return FloatVector.fromArray(S, buf, at);
    }

    /** Stores the first {@code valid} lanes of {@code v} at {@code off}, through {@code buf[at ..]}. */
    private static void unstage(FloatVector v, float[] arr, int off, int valid, float[] buf, int at) {
        v.intoArray(buf, at);
        System.arraycopy(buf, at, arr, off, valid);
    }

    /** Columns [j, n), fewer than one vector: masked lanes, same per-element operation order as the full blocks. */
    private static void bcTail(int i, int j, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                               float[] c, int co, int ldc, boolean acc) {
        VectorMask<Float> mask = tailMask(n - j);
        int cr = co + i * ldc + j;
        FloatVector s = acc ? loadPartial(c, cr, n - j, mask) : FloatVector.zero(S);
        int ar = ao + i * ai;
        for (int p = 0; p < k; p++) {
            FloatVector w = loadPartial(b, bo + p * ldb + j, n - j, mask);
            s = FloatVector.broadcast(S, a[ar + p * ap]).fma(w, s);
        }
        storePartial(s, c, cr, n - j, mask);
    }

    private static void bc4x2(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int c1 = co + (i + 1) * ldc + j;
        int c2 = co + (i + 2) * ldc + j;
        int c3 = co + (i + 3) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        int ar1 = ao + (i + 1) * ai;
        int ar2 = ao + (i + 2) * ai;
        int ar3 = ao + (i + 3) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        FloatVector s01 = acc ? FloatVector.fromArray(S, c, c0 + 1 * VL) : FloatVector.zero(S);
        FloatVector s10 = acc ? FloatVector.fromArray(S, c, c1 + 0 * VL) : FloatVector.zero(S);
        FloatVector s11 = acc ? FloatVector.fromArray(S, c, c1 + 1 * VL) : FloatVector.zero(S);
        FloatVector s20 = acc ? FloatVector.fromArray(S, c, c2 + 0 * VL) : FloatVector.zero(S);
        FloatVector s21 = acc ? FloatVector.fromArray(S, c, c2 + 1 * VL) : FloatVector.zero(S);
        FloatVector s30 = acc ? FloatVector.fromArray(S, c, c3 + 0 * VL) : FloatVector.zero(S);
        FloatVector s31 = acc ? FloatVector.fromArray(S, c, c3 + 1 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector w1 = FloatVector.fromArray(S, b, br + 1 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
            s01 = x0.fma(w1, s01);
            FloatVector x1 = FloatVector.broadcast(S, a[ar1 + p * ap]);
            s10 = x1.fma(w0, s10);
            s11 = x1.fma(w1, s11);
            FloatVector x2 = FloatVector.broadcast(S, a[ar2 + p * ap]);
            s20 = x2.fma(w0, s20);
            s21 = x2.fma(w1, s21);
            FloatVector x3 = FloatVector.broadcast(S, a[ar3 + p * ap]);
            s30 = x3.fma(w0, s30);
            s31 = x3.fma(w1, s31);
        }
        s00.intoArray(c, c0 + 0 * VL);
        s01.intoArray(c, c0 + 1 * VL);
        s10.intoArray(c, c1 + 0 * VL);
        s11.intoArray(c, c1 + 1 * VL);
        s20.intoArray(c, c2 + 0 * VL);
        s21.intoArray(c, c2 + 1 * VL);
        s30.intoArray(c, c3 + 0 * VL);
        s31.intoArray(c, c3 + 1 * VL);
    }

    private static void bc4x1(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int c1 = co + (i + 1) * ldc + j;
        int c2 = co + (i + 2) * ldc + j;
        int c3 = co + (i + 3) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        int ar1 = ao + (i + 1) * ai;
        int ar2 = ao + (i + 2) * ai;
        int ar3 = ao + (i + 3) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        FloatVector s10 = acc ? FloatVector.fromArray(S, c, c1 + 0 * VL) : FloatVector.zero(S);
        FloatVector s20 = acc ? FloatVector.fromArray(S, c, c2 + 0 * VL) : FloatVector.zero(S);
        FloatVector s30 = acc ? FloatVector.fromArray(S, c, c3 + 0 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
            FloatVector x1 = FloatVector.broadcast(S, a[ar1 + p * ap]);
            s10 = x1.fma(w0, s10);
            FloatVector x2 = FloatVector.broadcast(S, a[ar2 + p * ap]);
            s20 = x2.fma(w0, s20);
            FloatVector x3 = FloatVector.broadcast(S, a[ar3 + p * ap]);
            s30 = x3.fma(w0, s30);
        }
        s00.intoArray(c, c0 + 0 * VL);
        s10.intoArray(c, c1 + 0 * VL);
        s20.intoArray(c, c2 + 0 * VL);
        s30.intoArray(c, c3 + 0 * VL);
    }

    private static void bc1x2(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        FloatVector s01 = acc ? FloatVector.fromArray(S, c, c0 + 1 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector w1 = FloatVector.fromArray(S, b, br + 1 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
            s01 = x0.fma(w1, s01);
        }
        s00.intoArray(c, c0 + 0 * VL);
        s01.intoArray(c, c0 + 1 * VL);
    }

    private static void bc1x1(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
        }
        s00.intoArray(c, c0 + 0 * VL);
    }

    static double sumOfSquares(float[] a, int off, int n) {
        // blocks of 4096 floats are summed in float lanes, blocks are added in double: fixed order, bounded error
        double total = 0;
        for (int start = 0; start < n; start += 4096) {
            int end = Math.min(n, start + 4096), i = start;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            for (; i + 2 * VL <= end; i += 2 * VL) {
                FloatVector x0 = FloatVector.fromArray(S, a, off + i), x1 = FloatVector.fromArray(S, a, off + i + VL);
                s0 = x0.fma(x0, s0);
                s1 = x1.fma(x1, s1);
            }
            double block = sum(s0.add(s1));
            for (; i < end; i++) block += (double) a[off + i] * a[off + i];
            total += block;
        }
        return total;
    }

    static float sum(float[] a, int off, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int i = 0;
        for (; i + 4 * VL <= n; i += 4 * VL) {
            s0 = s0.add(FloatVector.fromArray(S, a, off + i));
            s1 = s1.add(FloatVector.fromArray(S, a, off + i + VL));
            s2 = s2.add(FloatVector.fromArray(S, a, off + i + 2 * VL));
            s3 = s3.add(FloatVector.fromArray(S, a, off + i + 3 * VL));
        }
        float s = sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += a[off + i];
        return s;
    }

    static void multiply(float[] a, int ao, float[] b, int bo, float[] y, int yo, int n, boolean acc) {
        int i = 0, bound = S.loopBound(n);
        for (; i < bound; i += VL) {
            FloatVector p = FloatVector.fromArray(S, a, ao + i).mul(FloatVector.fromArray(S, b, bo + i));
            if (acc) p = p.add(FloatVector.fromArray(S, y, yo + i));
            p.intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            float p = a[ao + i] * b[bo + i];
            y[yo + i] = acc ? y[yo + i] + p : p;
        }
    }

    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    static void pointwise(Pointwise f, float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        int bound = S.loopBound(n);
        switch (f) {
            case RELU -> reluVectors(x, xo, y, yo, d, dOff, bound);
            case MISH -> mishVectors(x, xo, y, yo, d, dOff, bound);
            case GELU -> geluVectors(x, xo, y, yo, d, dOff, bound);
            case SILU -> siluVectors(x, xo, y, yo, d, dOff, bound);
            case TANH -> tanhVectors(x, xo, y, yo, d, dOff, bound);
        }
        boolean wantDeriv = d != null;
        for (int i = bound; i < n; i++) {
            double v = x[xo + i];
            if (wantDeriv) d[dOff + i] = (float) f.derivative(v);
            y[yo + i] = (float) f.value(v);
        }
    }

    // The pointwise functions over n elements, n a multiple of VL; d (the derivative) may be null. The ones built on
    // e^x run in blocks of EXP_BLOCK: exp's argument to scratch, expInPlace, then the rest (see expInPlace for why).

    private static void reluVectors(float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        for (int i = 0; i < n; i += VL) {
            FloatVector v = FloatVector.fromArray(S, x, xo + i);
            VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
            if (d != null) FloatVector.zero(S).blend(1f, pos).intoArray(d, dOff + i);
            v.max(0f).intoArray(y, yo + i);
        }
    }

    private static void mishVectors(float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        float[] e = scratch(EXP_BLOCK);
        for (int b = 0; b < n; b += EXP_BLOCK) {
            int len = Math.min(EXP_BLOCK, n - b);
            // tanh(softplus(x)) = m / (m + 2) with m = e^x (e^x + 2); x is capped where the ratio is 1 in float
            for (int j = 0; j < len; j += VL) FloatVector.fromArray(S, x, xo + b + j).min(20f).intoArray(e, j);
            expInPlace(e, 0, len);
            for (int j = 0; j < len; j += VL) {
                FloatVector v = FloatVector.fromArray(S, x, xo + b + j), ev = FloatVector.fromArray(S, e, j);
                FloatVector m = ev.mul(ev.add(2f));
                FloatVector tsp = m.div(m.add(2f));
                if (d != null) {
                    FloatVector sig = ev.div(ev.add(1f));
                    tsp.add(v.mul(tsp.mul(tsp).neg().add(1f)).mul(sig)).intoArray(d, dOff + b + j);
                }
                v.mul(tsp).intoArray(y, yo + b + j);
            }
        }
    }

    /** GELU(x) = x·½(1 + erf(x/√2)), erf by Numerical Recipes' erfc polynomial (fractional error &lt; 1.2e-7). */
    private static void geluVectors(float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        float[] s = scratch(3 * EXP_BLOCK);
        int ts = EXP_BLOCK, ps = 2 * EXP_BLOCK; // s: [erfc's exp argument | t | the density's exp argument]
        for (int b = 0; b < n; b += EXP_BLOCK) {
            int len = Math.min(EXP_BLOCK, n - b);
            for (int j = 0; j < len; j += VL) {
                FloatVector v = FloatVector.fromArray(S, x, xo + b + j);
                FloatVector z = v.mul(INV_SQRT2).abs();
                FloatVector t = FloatVector.broadcast(S, 1f).div(z.mul(0.5f).add(1f));
                FloatVector poly = t.mul(0.17087277f).add(-0.82215223f);
                poly = t.mul(poly).add(1.48851587f);
                poly = t.mul(poly).add(-1.13520398f);
                poly = t.mul(poly).add(0.27886807f);
                poly = t.mul(poly).add(-0.18628806f);
                poly = t.mul(poly).add(0.09678418f);
                poly = t.mul(poly).add(0.37409196f);
                poly = t.mul(poly).add(1.00002368f);
                poly = t.mul(poly).add(-1.26551223f);
                z.mul(z).neg().add(poly).intoArray(s, j);
                t.intoArray(s, ts + j);
                if (d != null) v.mul(v).mul(-0.5f).intoArray(s, ps + j);
            }
            expInPlace(s, 0, len);
            if (d != null) expInPlace(s, ps, len);
            for (int j = 0; j < len; j += VL) {
                FloatVector v = FloatVector.fromArray(S, x, xo + b + j);
                FloatVector erfc = FloatVector.fromArray(S, s, ts + j).mul(FloatVector.fromArray(S, s, j));
                FloatVector erfAbs = erfc.neg().add(1f);
                FloatVector erf = erfAbs.blend(erfAbs.neg(), v.mul(INV_SQRT2).compare(VectorOperators.LT, 0f));
                FloatVector half1pErf = erf.add(1f).mul(0.5f);
                if (d != null) {
                    FloatVector pdf = FloatVector.fromArray(S, s, ps + j).mul(INV_SQRT_2PI);
                    half1pErf.add(v.mul(pdf)).intoArray(d, dOff + b + j);
                }
                v.mul(half1pErf).intoArray(y, yo + b + j);
            }
        }
    }

    private static void siluVectors(float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        float[] e = scratch(EXP_BLOCK);
        for (int b = 0; b < n; b += EXP_BLOCK) {
            int len = Math.min(EXP_BLOCK, n - b);
            for (int j = 0; j < len; j += VL) FloatVector.fromArray(S, x, xo + b + j).neg().intoArray(e, j);
            expInPlace(e, 0, len);
            for (int j = 0; j < len; j += VL) {
                FloatVector v = FloatVector.fromArray(S, x, xo + b + j);
                FloatVector sg = FloatVector.broadcast(S, 1f).div(FloatVector.fromArray(S, e, j).add(1f));
                if (d != null) sg.mul(v.mul(sg.neg().add(1f)).add(1f)).intoArray(d, dOff + b + j);
                v.mul(sg).intoArray(y, yo + b + j);
            }
        }
    }

    /** tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)) (absolute error ~1e-7). */
    private static void tanhVectors(float[] x, int xo, float[] y, int yo, float[] d, int dOff, int n) {
        float[] e = scratch(EXP_BLOCK);
        for (int b = 0; b < n; b += EXP_BLOCK) {
            int len = Math.min(EXP_BLOCK, n - b);
            for (int j = 0; j < len; j += VL) {
                FloatVector a = FloatVector.fromArray(S, x, xo + b + j).abs();
                a.add(a).intoArray(e, j);
            }
            expInPlace(e, 0, len);
            for (int j = 0; j < len; j += VL) {
                FloatVector xv = FloatVector.fromArray(S, x, xo + b + j);
                FloatVector t = FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(FloatVector.fromArray(S, e, j).add(1f)));
                FloatVector v = t.blend(t.neg(), xv.compare(VectorOperators.LT, 0f));
                if (d != null) v.mul(v).neg().add(1f).intoArray(d, dOff + b + j);
                v.intoArray(y, yo + b + j);
            }
        }
    }

    /** Maximum of the lanes (exact in any order, so the library reduction is deterministic here). */
    static float max(FloatVector v) {
        return v.reduceLanes(VectorOperators.MAX);
    }

    static void softmaxRows(int rows, int n, float scale, float[] x, int xo, int ld) {
        int bound = S.loopBound(n), valid = n - bound;
        // The tail (fewer than VL elements) goes through a one-vector scratch with plain loads and stores: masked ops
        // whose masks cross a method boundary the JIT did not inline are boxed (measured: ~480 bytes per row).
        float[] e = valid > 0 ? scratch(VL) : null;
        for (int r = 0; r < rows; r++) {
            int base = xo + r * ld, tb = base + bound;
            FloatVector m = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < bound; j += VL) m = m.max(FloatVector.fromArray(S, x, base + j).mul(scale));
            float mx = max(m); // max is exact, so folding the tail in afterwards gives the same value
            for (int l = 0; l < valid; l++) mx = Math.max(mx, x[tb + l] * scale);
            for (int j = 0; j < bound; j += VL) FloatVector.fromArray(S, x, base + j).mul(scale).sub(mx).intoArray(x, base + j);
            expInPlace(x, base, bound);
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j < bound; j += VL) acc = acc.add(FloatVector.fromArray(S, x, base + j));
            if (valid > 0) {
                for (int l = 0; l < VL; l++) e[l] = l < valid ? x[tb + l] * scale - mx : 0f;
                expInPlace(e, 0, VL);
                for (int l = 0; l < VL; l++) {
                    if (l < valid) x[tb + l] = e[l];
                    else e[l] = 0f; // adds nothing to the sum below
                }
                acc = acc.add(FloatVector.fromArray(S, e, 0));
            }
            float inv = 1f / sum(acc);
            for (int j = 0; j < bound; j += VL) FloatVector.fromArray(S, x, base + j).mul(inv).intoArray(x, base + j);
            for (int l = 0; l < valid; l++) x[tb + l] *= inv;
        }
    }

    static void layerNormRows(int from, int to, int n, float eps, float[] x, int xo, float[] w, float[] b,
                              float[] y, int yo, float[] xhat, float[] rstd) {
        int bound = S.loopBound(n);
        for (int r = from; r < to; r++) {
            int xr = xo + r * n, yr = yo + r * n;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += VL) acc = acc.add(FloatVector.fromArray(S, x, xr + j));
            float s = sum(acc);
            for (; j < n; j++) s += x[xr + j];
            float mean = s / n;
            acc = FloatVector.zero(S);
            for (j = 0; j < bound; j += VL) {
                FloatVector d = FloatVector.fromArray(S, x, xr + j).sub(mean);
                acc = d.fma(d, acc);
            }
            float q = sum(acc);
            for (; j < n; j++) {
                float d = x[xr + j] - mean;
                q = Math.fma(d, d, q);
            }
            float rs = (float) (1.0 / Math.sqrt(q / n + eps));
            if (rstd != null) rstd[r] = rs;
            for (j = 0; j < bound; j += VL) {
                FloatVector h = FloatVector.fromArray(S, x, xr + j).sub(mean).mul(rs);
                if (xhat != null) h.intoArray(xhat, r * n + j);
                h.fma(FloatVector.fromArray(S, w, j), FloatVector.fromArray(S, b, j)).intoArray(y, yr + j);
            }
            for (; j < n; j++) {
                float h = (x[xr + j] - mean) * rs;
                if (xhat != null) xhat[r * n + j] = h;
                y[yr + j] = Math.fma(h, w[j], b[j]);
            }
        }
    }

    /**
     * {@link #gemmBroadcastA} with 6-row register blocks of 3 or 2 vectors (18/12 accumulators: fewer loads per FMA
     * than the 4×2 blocks) where they fit, the plain kernel for the remaining rows and columns. Every output element is
     * the same fma chain over p in the same order as in {@link #gemmBroadcastA}, so the results are bitwise identical.
     */
    static void gemmBroadcastAWide(int m, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                                   float[] c, int co, int ldc, boolean acc) {
        // A long k (a weight gradient sums over every row of the batch: k = 15,488 tokens) would stream all of B
        // [k×n] from memory once per 6 rows of C; in blocks of kc rows B's block stays in L2 across them. Each block
        // continues the accumulators from C (the kernels load C when acc), so every element is still the one fma chain
        // over p in order: bitwise the same for every kc.
        int kc = Math.max(16, K_BLOCK_FLOATS / Math.max(1, n));
        for (int p0 = 0; p0 < k; p0 += kc) {
            int kk = Math.min(kc, k - p0);
            wideBlock(m, n, kk, a, ao + p0 * ap, ai, ap, b, bo + p0 * ldb, ldb, c, co, ldc, acc || p0 > 0);
        }
    }

    /** Floats of B per k-block of {@link #gemmBroadcastAWide} (256 KB: within L2 on the Zen 3 and Zen 4 hosts). */
    private static final int K_BLOCK_FLOATS = 64 * 1024;

    private static void wideBlock(int m, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                                  float[] c, int co, int ldc, boolean acc) {
        int n3 = THREE_WIDE ? n / (3 * VL) * (3 * VL) : 0;
        int n2 = n3 + (n - n3) / (2 * VL) * (2 * VL);
        int m6 = m / 6 * 6;
        for (int i = 0; i < m6; i += 6) {
            for (int j = 0; j < n3; j += 3 * VL) bc6x3(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
            for (int j = n3; j < n2; j += 2 * VL) bc6x2(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, acc);
        }
        if (m6 < m && n2 > 0) gemmBroadcastA(m - m6, n2, k, a, ao + m6 * ai, ai, ap, b, bo, ldb, c, co + m6 * ldc, ldc, acc);
        if (n2 < n) gemmBroadcastA(m, n - n2, k, a, ao, ai, ap, b, bo + n2, ldb, c, co + n2, ldc, acc);
    }

    private static void bc6x3(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        int c1 = co + (i + 1) * ldc + j;
        int ar1 = ao + (i + 1) * ai;
        int c2 = co + (i + 2) * ldc + j;
        int ar2 = ao + (i + 2) * ai;
        int c3 = co + (i + 3) * ldc + j;
        int ar3 = ao + (i + 3) * ai;
        int c4 = co + (i + 4) * ldc + j;
        int ar4 = ao + (i + 4) * ai;
        int c5 = co + (i + 5) * ldc + j;
        int ar5 = ao + (i + 5) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        FloatVector s01 = acc ? FloatVector.fromArray(S, c, c0 + 1 * VL) : FloatVector.zero(S);
        FloatVector s02 = acc ? FloatVector.fromArray(S, c, c0 + 2 * VL) : FloatVector.zero(S);
        FloatVector s10 = acc ? FloatVector.fromArray(S, c, c1 + 0 * VL) : FloatVector.zero(S);
        FloatVector s11 = acc ? FloatVector.fromArray(S, c, c1 + 1 * VL) : FloatVector.zero(S);
        FloatVector s12 = acc ? FloatVector.fromArray(S, c, c1 + 2 * VL) : FloatVector.zero(S);
        FloatVector s20 = acc ? FloatVector.fromArray(S, c, c2 + 0 * VL) : FloatVector.zero(S);
        FloatVector s21 = acc ? FloatVector.fromArray(S, c, c2 + 1 * VL) : FloatVector.zero(S);
        FloatVector s22 = acc ? FloatVector.fromArray(S, c, c2 + 2 * VL) : FloatVector.zero(S);
        FloatVector s30 = acc ? FloatVector.fromArray(S, c, c3 + 0 * VL) : FloatVector.zero(S);
        FloatVector s31 = acc ? FloatVector.fromArray(S, c, c3 + 1 * VL) : FloatVector.zero(S);
        FloatVector s32 = acc ? FloatVector.fromArray(S, c, c3 + 2 * VL) : FloatVector.zero(S);
        FloatVector s40 = acc ? FloatVector.fromArray(S, c, c4 + 0 * VL) : FloatVector.zero(S);
        FloatVector s41 = acc ? FloatVector.fromArray(S, c, c4 + 1 * VL) : FloatVector.zero(S);
        FloatVector s42 = acc ? FloatVector.fromArray(S, c, c4 + 2 * VL) : FloatVector.zero(S);
        FloatVector s50 = acc ? FloatVector.fromArray(S, c, c5 + 0 * VL) : FloatVector.zero(S);
        FloatVector s51 = acc ? FloatVector.fromArray(S, c, c5 + 1 * VL) : FloatVector.zero(S);
        FloatVector s52 = acc ? FloatVector.fromArray(S, c, c5 + 2 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector w1 = FloatVector.fromArray(S, b, br + 1 * VL);
            FloatVector w2 = FloatVector.fromArray(S, b, br + 2 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
            s01 = x0.fma(w1, s01);
            s02 = x0.fma(w2, s02);
            FloatVector x1 = FloatVector.broadcast(S, a[ar1 + p * ap]);
            s10 = x1.fma(w0, s10);
            s11 = x1.fma(w1, s11);
            s12 = x1.fma(w2, s12);
            FloatVector x2 = FloatVector.broadcast(S, a[ar2 + p * ap]);
            s20 = x2.fma(w0, s20);
            s21 = x2.fma(w1, s21);
            s22 = x2.fma(w2, s22);
            FloatVector x3 = FloatVector.broadcast(S, a[ar3 + p * ap]);
            s30 = x3.fma(w0, s30);
            s31 = x3.fma(w1, s31);
            s32 = x3.fma(w2, s32);
            FloatVector x4 = FloatVector.broadcast(S, a[ar4 + p * ap]);
            s40 = x4.fma(w0, s40);
            s41 = x4.fma(w1, s41);
            s42 = x4.fma(w2, s42);
            FloatVector x5 = FloatVector.broadcast(S, a[ar5 + p * ap]);
            s50 = x5.fma(w0, s50);
            s51 = x5.fma(w1, s51);
            s52 = x5.fma(w2, s52);
        }
        s00.intoArray(c, c0 + 0 * VL);
        s01.intoArray(c, c0 + 1 * VL);
        s02.intoArray(c, c0 + 2 * VL);
        s10.intoArray(c, c1 + 0 * VL);
        s11.intoArray(c, c1 + 1 * VL);
        s12.intoArray(c, c1 + 2 * VL);
        s20.intoArray(c, c2 + 0 * VL);
        s21.intoArray(c, c2 + 1 * VL);
        s22.intoArray(c, c2 + 2 * VL);
        s30.intoArray(c, c3 + 0 * VL);
        s31.intoArray(c, c3 + 1 * VL);
        s32.intoArray(c, c3 + 2 * VL);
        s40.intoArray(c, c4 + 0 * VL);
        s41.intoArray(c, c4 + 1 * VL);
        s42.intoArray(c, c4 + 2 * VL);
        s50.intoArray(c, c5 + 0 * VL);
        s51.intoArray(c, c5 + 1 * VL);
        s52.intoArray(c, c5 + 2 * VL);
    }

    private static void bc6x2(int i, int j, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb, float[] c, int co, int ldc, boolean acc) {
        int c0 = co + (i + 0) * ldc + j;
        int ar0 = ao + (i + 0) * ai;
        int c1 = co + (i + 1) * ldc + j;
        int ar1 = ao + (i + 1) * ai;
        int c2 = co + (i + 2) * ldc + j;
        int ar2 = ao + (i + 2) * ai;
        int c3 = co + (i + 3) * ldc + j;
        int ar3 = ao + (i + 3) * ai;
        int c4 = co + (i + 4) * ldc + j;
        int ar4 = ao + (i + 4) * ai;
        int c5 = co + (i + 5) * ldc + j;
        int ar5 = ao + (i + 5) * ai;
        FloatVector s00 = acc ? FloatVector.fromArray(S, c, c0 + 0 * VL) : FloatVector.zero(S);
        FloatVector s01 = acc ? FloatVector.fromArray(S, c, c0 + 1 * VL) : FloatVector.zero(S);
        FloatVector s10 = acc ? FloatVector.fromArray(S, c, c1 + 0 * VL) : FloatVector.zero(S);
        FloatVector s11 = acc ? FloatVector.fromArray(S, c, c1 + 1 * VL) : FloatVector.zero(S);
        FloatVector s20 = acc ? FloatVector.fromArray(S, c, c2 + 0 * VL) : FloatVector.zero(S);
        FloatVector s21 = acc ? FloatVector.fromArray(S, c, c2 + 1 * VL) : FloatVector.zero(S);
        FloatVector s30 = acc ? FloatVector.fromArray(S, c, c3 + 0 * VL) : FloatVector.zero(S);
        FloatVector s31 = acc ? FloatVector.fromArray(S, c, c3 + 1 * VL) : FloatVector.zero(S);
        FloatVector s40 = acc ? FloatVector.fromArray(S, c, c4 + 0 * VL) : FloatVector.zero(S);
        FloatVector s41 = acc ? FloatVector.fromArray(S, c, c4 + 1 * VL) : FloatVector.zero(S);
        FloatVector s50 = acc ? FloatVector.fromArray(S, c, c5 + 0 * VL) : FloatVector.zero(S);
        FloatVector s51 = acc ? FloatVector.fromArray(S, c, c5 + 1 * VL) : FloatVector.zero(S);
        for (int p = 0; p < k; p++) {
            int br = bo + p * ldb + j;
            FloatVector w0 = FloatVector.fromArray(S, b, br + 0 * VL);
            FloatVector w1 = FloatVector.fromArray(S, b, br + 1 * VL);
            FloatVector x0 = FloatVector.broadcast(S, a[ar0 + p * ap]);
            s00 = x0.fma(w0, s00);
            s01 = x0.fma(w1, s01);
            FloatVector x1 = FloatVector.broadcast(S, a[ar1 + p * ap]);
            s10 = x1.fma(w0, s10);
            s11 = x1.fma(w1, s11);
            FloatVector x2 = FloatVector.broadcast(S, a[ar2 + p * ap]);
            s20 = x2.fma(w0, s20);
            s21 = x2.fma(w1, s21);
            FloatVector x3 = FloatVector.broadcast(S, a[ar3 + p * ap]);
            s30 = x3.fma(w0, s30);
            s31 = x3.fma(w1, s31);
            FloatVector x4 = FloatVector.broadcast(S, a[ar4 + p * ap]);
            s40 = x4.fma(w0, s40);
            s41 = x4.fma(w1, s41);
            FloatVector x5 = FloatVector.broadcast(S, a[ar5 + p * ap]);
            s50 = x5.fma(w0, s50);
            s51 = x5.fma(w1, s51);
        }
        s00.intoArray(c, c0 + 0 * VL);
        s01.intoArray(c, c0 + 1 * VL);
        s10.intoArray(c, c1 + 0 * VL);
        s11.intoArray(c, c1 + 1 * VL);
        s20.intoArray(c, c2 + 0 * VL);
        s21.intoArray(c, c2 + 1 * VL);
        s30.intoArray(c, c3 + 0 * VL);
        s31.intoArray(c, c3 + 1 * VL);
        s40.intoArray(c, c4 + 0 * VL);
        s41.intoArray(c, c4 + 1 * VL);
        s50.intoArray(c, c5 + 0 * VL);
        s51.intoArray(c, c5 + 1 * VL);
    }

    // ---- feature-major ("columns are tokens") kernels for the fused ViT inference path (VitInference) ----

    /**
     * C[m×n] = A·B (no accumulate) with A(i, p) = a[ao + i·ai + p·ap], for n a multiple of VL: columns in blocks of
     * 3 and 2 vectors (a remainder of 4 vectors as 2 + 2), 6-row register blocks, leftover rows and single-vector column
     * blocks through {@link #gemmBroadcastA}. Every element is the same fma chain over p as in the other broadcast
     * kernels, so the split of the columns over threads never changes a bit.
     */
    static void gemmColumns(int m, int n, int k, float[] a, int ao, int ai, int ap, float[] b, int bo, int ldb,
                            float[] c, int co, int ldc) {
        if (n % VL != 0) throw new IllegalArgumentException("gemmColumns: n = " + n + " is not a multiple of " + VL);
        int m6 = m / 6 * 6;
        int j = 0;
        while (j < n) {
            int q = (n - j) / VL;
            int w = THREE_WIDE && q >= 3 && q != 4 ? 3 : Math.min(q, 2);
            if (w == 1) {
                gemmBroadcastA(m, VL, k, a, ao, ai, ap, b, bo + j, ldb, c, co + j, ldc, false);
            } else {
                for (int i = 0; i < m6; i += 6) {
                    if (w == 3) bc6x3(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, false);
                    else bc6x2(i, j, k, a, ao, ai, ap, b, bo, ldb, c, co, ldc, false);
                }
                if (m6 < m) gemmBroadcastA(m - m6, w * VL, k, a, ao + m6 * ai, ai, ap, b, bo + j, ldb, c, co + m6 * ldc + j, ldc, false);
            }
            j += w * VL;
        }
    }

    /**
     * {@code runs} copies of {@code len} floats: dst[dOff + t·dStride ..] = src[so + t·sStride ..] for t &lt; runs
     * (patch gathers built from contiguous runs).
     */
    static void copyRuns(float[] src, int so, int sStride, float[] dst, int dOff, int dStride, int runs, int len) {
        if (len > VL) {
            for (int t = 0; t < runs; t++) System.arraycopy(src, so + t * sStride, dst, dOff + t * dStride, len);
            return;
        }
        VectorMask<Float> mask = tailMask(len);
        for (int t = 0; t < runs; t++) {
            storePartial(loadPartial(src, so + t * sStride, len, mask), dst, dOff + t * dStride, len, mask);
        }
    }

    /** {@link #copyRuns} of max(src + bias, 0) (a convolution's bias and ReLU applied while gathering its output). */
    static void copyRunsBiasRelu(float[] src, int so, int sStride, float[] dst, int dOff, int dStride, int runs, int len,
                                 float bias) {
        if (len > VL) {
            for (int t = 0; t < runs; t++) {
                for (int i = 0; i < len; i++) dst[dOff + t * dStride + i] = Math.max(src[so + t * sStride + i] + bias, 0f);
            }
            return;
        }
        VectorMask<Float> mask = tailMask(len);
        for (int t = 0; t < runs; t++) {
            FloatVector v = loadPartial(src, so + t * sStride, len, mask).add(bias).max(0f);
            storePartial(v, dst, dOff + t * dStride, len, mask);
        }
    }

    /**
     * Epilogue over rows r &lt; rows, columns [c0, c1) (multiples of VL) of y (row stride ld): y ← act(y + bias[r])
     * (act 0: none, 1: ReLU, 2: GELU as in {@link #pointwise}, the same operations), then, when {@code res} is non-null, y ← res + y.
     */
    static void biasActColumns(int rows, int c0, int c1, float[] y, int yo, int ld, float[] bias, int bo, int act,
                               float[] res, int ro) {
        for (int r = 0; r < rows; r++) {
            float bv = bias[bo + r];
            int yr = yo + r * ld, rr = ro + r * ld;
            if (act == 2) { // GELU in place over the row's run, between the bias and the residual (see expInPlace)
                for (int j = c0; j < c1; j += VL) FloatVector.fromArray(S, y, yr + j).add(bv).intoArray(y, yr + j);
                geluVectors(y, yr + c0, y, yr + c0, null, 0, c1 - c0);
                if (res != null) {
                    for (int j = c0; j < c1; j += VL) FloatVector.fromArray(S, res, rr + j).add(FloatVector.fromArray(S, y, yr + j)).intoArray(y, yr + j);
                }
                continue;
            }
            for (int j = c0; j < c1; j += VL) {
                FloatVector v = FloatVector.fromArray(S, y, yr + j).add(bv);
                if (act == 1) v = v.max(0f);
                if (res != null) v = FloatVector.fromArray(S, res, rr + j).add(v);
                v.intoArray(y, yr + j);
            }
        }
    }

    /**
     * LayerNorm down each column j in [c0, c1) (multiples of VL) over the n rows of x (row stride ld): biased variance,
     * y[r, j] = (x[r, j] − μ_j)·rstd_j·w[r] + b[r]. Each column's sums run over r in order (no cross-lane sums).
     */
    static void layerNormColumns(int n, int c0, int c1, float eps, float[] x, int xo, float[] w, float[] b,
                                 float[] y, int yo, int ld) {
        float invN = 1f / n;
        for (int j = c0; j < c1; j += VL) {
            FloatVector s = FloatVector.zero(S);
            for (int r = 0; r < n; r++) s = s.add(FloatVector.fromArray(S, x, xo + r * ld + j));
            FloatVector mean = s.div(n);
            FloatVector q = FloatVector.zero(S);
            for (int r = 0; r < n; r++) {
                FloatVector d = FloatVector.fromArray(S, x, xo + r * ld + j).sub(mean);
                q = d.fma(d, q);
            }
            FloatVector rs = FloatVector.broadcast(S, 1f).div(q.div(n).add(eps).sqrt());
            for (int r = 0; r < n; r++) {
                FloatVector h = FloatVector.fromArray(S, x, xo + r * ld + j).sub(mean).mul(rs);
                h.fma(w[r], b[r]).intoArray(y, yo + r * ld + j);
            }
        }
    }

    /**
     * Softmax down each column j in [c0, c1) (multiples of VL) over rows r &lt; n (row stride ld), in place:
     * x ← exp(scale·x − max_r scale·x) / Σ_r exp(...), the sum taken over r in order.
     */
    static void softmaxColumns(int n, int c0, int c1, float scale, float[] x, int xo, int ld) {
        int w = c1 - c0;
        float[] m = scratch(w);
        for (int j = 0; j < w; j += VL) {
            FloatVector mj = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < n; r++) mj = mj.max(FloatVector.fromArray(S, x, xo + r * ld + c0 + j).mul(scale));
            mj.intoArray(m, j);
        }
        for (int r = 0; r < n; r++) { // row by row, so that each row's columns are one contiguous run for expInPlace
            int o = xo + r * ld + c0;
            for (int j = 0; j < w; j += VL) FloatVector.fromArray(S, x, o + j).mul(scale).sub(FloatVector.fromArray(S, m, j)).intoArray(x, o + j);
            expInPlace(x, o, w);
        }
        for (int j = c0; j < c1; j += VL) {
            FloatVector acc = FloatVector.zero(S);
            for (int r = 0; r < n; r++) acc = acc.add(FloatVector.fromArray(S, x, xo + r * ld + j));
            FloatVector inv = FloatVector.broadcast(S, 1f).div(acc);
            for (int r = 0; r < n; r++) {
                int o = xo + r * ld + j;
                FloatVector.fromArray(S, x, o).mul(inv).intoArray(x, o);
            }
        }
    }
}
