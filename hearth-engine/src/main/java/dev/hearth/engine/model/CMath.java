package dev.hearth.engine.model;

/**
 * The float functions of the C library llama.cpp was linked with (glibc 2.36 on x86-64), as far as the forward pass
 * uses them: rope's {@code powf}, {@code cosf}, {@code sinf}, {@code logf}, and {@code tanhf} for soft-capping and
 * the GELU table. {@code sinf}/{@code cosf} (Arm optimized-routines, 0.56 ulp: about 1% of results differ from the
 * correctly rounded float) and {@code tanhf} (fdlibm's float algorithm) are ported; they matched the local glibc
 * 2.36 bit for bit on 1.2 million inputs (rope angles of positions 0..600, random arguments up to 10^6).
 * {@code powf} and {@code logf} are correctly rounded in all but rare cases, which rounding {@link StrictMath}'s
 * double result gives. {@link StrictMath} rather than {@link Math}: the latter may differ by an ulp between the
 * interpreter and compiled code, and one ulp can flip a later fp16 rounding.
 */
final class CMath {
    private CMath() {}

    static float cosf(float y) {
        return sincosf(y, true);
    }

    static float sinf(float y) {
        return sincosf(y, false);
    }

    // glibc's sinf/cosf (from Arm's optimized-routines): a double polynomial on the argument reduced to ±π/4
    private static final double[] SIGN = {1.0, -1.0, -1.0, 1.0};
    private static final double HPI_INV = 0x1.45F306DC9C883p+23, HPI = 0x1.921FB54442D18p0;
    private static final double C1 = -0x1.ffffffd0c621cp-2, C2 = 0x1.55553e1068f19p-5, C3 = -0x1.6c087e89a359dp-10,
            C4 = 0x1.99343027bf8c3p-16, S1 = -0x1.555545995a603p-3, S2 = 0x1.1107605230bc4p-7,
            S3 = -0x1.994eb3774cf24p-13;
    private static final double PI63 = 0x1.921FB54442D18p-62;
    private static final int[] INV_PIO4 = {
            0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
            0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
            0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041};

    private static int abstop12(float x) {
        return (Float.floatToRawIntBits(x) >>> 20) & 0x7ff;
    }

    /** glibc's x86-64 build (FMA variant, chosen on the CPUs llama.cpp ran on) fuses these multiply-adds. */
    private static double madd(double a, double b, double c) {
        return Math.fma(a, b, c);
    }

    /** sinf_poly: n even → sine polynomial, odd → cosine; {@code negCos} selects the negated cosine table. */
    private static float poly(double x, double x2, boolean negCos, int n) {
        if ((n & 1) == 0) {
            double x3 = x * x2;
            double s1 = madd(x2, S3, S2);
            double x7 = x3 * x2;
            double s = madd(x3, S1, x);
            return (float) madd(x7, s1, s);
        }
        double k = negCos ? -1 : 1;
        double x4 = x2 * x2;
        double c2 = madd(x2, k * C4, k * C3);
        double c1 = madd(x2, k * C1, k);
        double x6 = x4 * x2;
        double c = madd(x4, k * C2, c1);
        return (float) madd(x6, c2, c);
    }

    private static float sincosf(float y, boolean cos) {
        double x = y;
        int n;
        if (abstop12(y) < abstop12(0x1.921FB6p-1f)) {
            double x2 = x * x;
            if (abstop12(y) < abstop12(0x1p-12f)) return cos ? 1.0f : y;
            return poly(x, x2, false, cos ? 1 : 0);
        } else if (abstop12(y) < abstop12(120.0f)) {
            double r = x * HPI_INV;
            n = ((int) r + 0x800000) >> 24;
            x = Math.fma(-n, HPI, x);
            double s = SIGN[n & 3];
            return poly(x * s, x * x, (n & 2) != 0, cos ? n ^ 1 : n);
        } else if (abstop12(y) < abstop12(Float.POSITIVE_INFINITY)) {
            int xi = Float.floatToRawIntBits(y);
            int sign = xi >>> 31;
            int idx = (xi >>> 26) & 15;
            int shift = (xi >>> 23) & 7;
            long m = ((xi & 0xffffff) | 0x800000) & 0xffffffffL;
            m = (m << shift) & 0xffffffffL;
            long res0 = (m * (INV_PIO4[idx] & 0xffffffffL)) & 0xffffffffL;
            long res1 = m * (INV_PIO4[idx + 4] & 0xffffffffL);
            long res2 = m * (INV_PIO4[idx + 8] & 0xffffffffL);
            res0 = (res2 >>> 32) | (res0 << 32);
            res0 += res1;
            long nn = (res0 + (1L << 61)) >>> 62;
            res0 -= nn << 62;
            x = (double) res0 * PI63;
            n = (int) nn;
            double s = SIGN[(n + sign) & 3];
            return poly(x * s, x * x, ((n + sign) & 2) != 0, cos ? n ^ 1 : n);
        }
        return Float.NaN;
    }

    static float powf(float x, float y) {
        return (float) StrictMath.pow(x, y);
    }

    static float logf(float x) {
        return (float) StrictMath.log(x);
    }

    /** fdlibm {@code s_tanhf.c}. */
    static float tanhf(float x) {
        int jx = Float.floatToRawIntBits(x);
        int ix = jx & 0x7fffffff;
        if (ix >= 0x7f800000) return jx >= 0 ? 1.0f / x + 1.0f : 1.0f / x - 1.0f; // ±inf → ±1, NaN → NaN
        float z;
        if (ix < 0x41b00000) { // |x| < 22
            if (ix == 0) return x;
            if (ix < 0x24000000) return x * (1.0f + x); // |x| < 2^-55
            if (ix >= 0x3f800000) { // |x| >= 1
                float t = expm1f(2.0f * Math.abs(x));
                z = 1.0f - 2.0f / (t + 2.0f);
            } else {
                float t = expm1f(-2.0f * Math.abs(x));
                z = -t / (t + 2.0f);
            }
        } else {
            z = 1.0f - 1.0e-30f;
        }
        return jx >= 0 ? z : -z;
    }

    private static final float LN2_HI = 6.9313812256e-01f, LN2_LO = 9.0580006145e-06f, INVLN2 = 1.4426950216e+00f;
    private static final float Q1 = -3.3333335072e-02f, Q2 = 1.5873016091e-03f, Q3 = -7.9365076090e-05f,
            Q4 = 4.0082177293e-06f, Q5 = -2.0109921195e-07f;

    /** fdlibm {@code s_expm1f.c}. */
    static float expm1f(float x) {
        int hx = Float.floatToRawIntBits(x);
        boolean negative = hx < 0;
        hx &= 0x7fffffff;
        if (hx >= 0x4195b844) { // |x| >= 27 ln2
            if (hx >= 0x42b17218) { // |x| >= 88.72
                if (hx > 0x7f800000) return x + x;
                if (hx == 0x7f800000) return negative ? -1.0f : x;
                if (x > 8.8721679688e+01f) return Float.POSITIVE_INFINITY;
            }
            if (negative) return 1.0e-30f - 1.0f;
        }
        float hi, lo, c = 0;
        int k;
        if (hx > 0x3eb17218) { // |x| > 0.5 ln2
            if (hx < 0x3F851592) { // and |x| < 1.5 ln2
                if (!negative) {
                    hi = x - LN2_HI;
                    lo = LN2_LO;
                    k = 1;
                } else {
                    hi = x + LN2_HI;
                    lo = -LN2_LO;
                    k = -1;
                }
            } else {
                k = (int) (INVLN2 * x + (negative ? -0.5f : 0.5f));
                float t = k;
                hi = x - t * LN2_HI;
                lo = t * LN2_LO;
            }
            x = hi - lo;
            c = (hi - x) - lo;
        } else if (hx < 0x33000000) { // |x| < 2^-25
            return x;
        } else {
            k = 0;
        }
        float hfx = 0.5f * x;
        float hxs = x * hfx;
        float r1 = 1.0f + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
        float t = 3.0f - r1 * hfx;
        float e = hxs * ((r1 - t) / (6.0f - x * t));
        if (k == 0) return x - (x * e - hxs);
        e = (x * (e - c) - c);
        e -= hxs;
        if (k == -1) return 0.5f * (x - e) - 0.5f;
        if (k == 1) return x < -0.25f ? -2.0f * (e - (x + 0.5f)) : 1.0f + 2.0f * (x - e);
        float y;
        if (k <= -2 || k > 56) {
            y = 1.0f - (e - x);
            y = Float.intBitsToFloat(Float.floatToRawIntBits(y) + (k << 23));
            return y - 1.0f;
        }
        if (k < 23) {
            t = Float.intBitsToFloat(0x3f800000 - (0x1000000 >> k)); // 1 - 2^-k
            y = t - (e - x);
        } else {
            t = Float.intBitsToFloat((0x7f - k) << 23); // 2^-k
            y = x - (e + t);
            y += 1.0f;
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(y) + (k << 23));
    }
}
