package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the 256-value super-block formats (K quants, IQ4_XS, TQ1_0, TQ2_0) share: little-endian field access and
 * llama.cpp's scale searches ({@code make_qx_quants}, {@code make_q3_quants}, {@code make_qkx2_quants},
 * {@code quantize_row_iq4_nl_impl}).
 *
 * <p>The searches are reproduced operation for operation, in float, in the order C evaluates them: their result
 * depends on which candidate scale wins a comparison of nearly equal errors, so any reordering (even
 * {@code a*b*c} as {@code a*(b*c)}) can flip a choice and give different blocks than llama-quantize.
 */
final class KQuants {
    static final int QK_K = 256;

    static final ValueLayout.OfShort I16 = HalfFloats.SHORT_LE;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = HalfFloats.INT_LE;
    static final ValueLayout.OfFloat F32 = HalfFloats.FLOAT_LE;
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;

    /** ggml's GROUP_MAX_EPS: below this largest magnitude a group counts as all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** The 16 levels of IQ4_NL / IQ4_XS (ggml's kvalues_iq4nl). */
    static final byte[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private KQuants() {}

    static int u8(MemorySegment s, long off) {
        return s.get(I8, off) & 0xFF;
    }

    static void checkBlocks(int n) {
        if (n % QK_K != 0) throw new IllegalArgumentException(n + " values is not a whole number of 256-value blocks");
    }

    /**
     * ggml's nearest_int: adding 1.5·2^23 rounds to an integer (ties to even) in the low mantissa bits. Kept as
     * the bit trick rather than Math.rint because ggml relies on it even outside its valid range (|x| > 2^22),
     * where it wraps instead of saturating.
     */
    static int nearestInt(float f) {
        int i = Float.floatToRawIntBits(f + 12582912f);
        return (i & 0x007fffff) - 0x00400000;
    }

    /**
     * make_qx_quants with rmse_type 1 and no importance weights (weights x²), as Q6_K uses it: symmetric levels
     * -nmax..nmax-1 stored in {@code L} offset by nmax; returns the scale.
     */
    static float makeQxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l + nmax;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    int l = nearestInt(iscale * x[xo + i]);
                    L[lo + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, l));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * make_q3_quants with do_rmse: start from the max-based scale, then up to 5 passes moving single values to
     * the level that improves the x²-weighted fit. Levels stored in {@code L} offset by nmax (0 for an all-zero
     * group, as in ggml).
     */
    static float makeQ3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) { amax = ax; max = x[xo + i]; }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * xi)));
            L[lo + i] = l;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = xi * xi;
                float slx = sumlx - w * xi * L[lo + i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[lo + i] * L[lo + i];
                    int newL = Math.max(-nmax, Math.min(nmax - 1, nearestInt(xi * sl2 / slx)));
                    if (newL != L[lo + i]) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return sumlx / suml2;
    }

    /**
     * make_qkx2_quants: asymmetric levels 0..nmax with a scale and a min (x ≈ scale·l − min), searching
     * {@code nstep+1} candidate scales around the range-based one and keeping the best weighted error (absolute
     * when {@code useMad}, squared otherwise). Levels go to {@code L}; returns the scale and writes −min (≥ 0)
     * to {@code theMin[mo]}. {@code Laux} is scratch of at least n.
     */
    static float makeQkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo,
                                float[] theMin, int mo, int[] Laux, float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            theMin[mo] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
            L[lo + i] = l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestMad += weights[i] * diff;
        }
        if (nstep < 1) {
            theMin[mo] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * (xi - min))));
                Laux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * Laux[i] + thisMin - x[xo + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    mad += weights[i] * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(Laux, 0, L, lo, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin[mo] = -min;
        return scale;
    }

    /** ggml's get_scale_min_k4: the 6-bit scale (j) and min (j+8 in the result) of sub-block j from 12 packed bytes. */
    static int scaleK4(MemorySegment s, long scalesOff, int j) {
        if (j < 4) return u8(s, scalesOff + j) & 63;
        return (u8(s, scalesOff + j + 4) & 0xF) | ((u8(s, scalesOff + j - 4) >> 6) << 4);
    }

    static int minK4(MemorySegment s, long scalesOff, int j) {
        if (j < 4) return u8(s, scalesOff + j + 4) & 63;
        return (u8(s, scalesOff + j + 4) >> 4) | ((u8(s, scalesOff + j) >> 6) << 4);
    }

    /** Packs 8 six-bit scales and mins the way Q4_K and Q5_K store them (12 bytes). */
    static void packScalesK4(int[] ls, int[] lm, byte[] out) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                out[j] = (byte) ls[j];
                out[j + 4] = (byte) lm[j];
            } else {
                out[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                out[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                out[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
    }

    /** ggml's best_index_int8 (b4747): index of the level of the sorted table nearest to x, ties upward. */
    static int bestIndexInt8(byte[] val, float x) {
        int n = val.length;
        if (x <= val[0]) return 0;
        if (x >= val[n - 1]) return n - 1;
        int ml = 0, mu = n - 1;
        while (mu - ml > 1) {
            int mav = (ml + mu) / 2;
            if (x < val[mav]) mu = mav; else ml = mav;
        }
        return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
    }
}
