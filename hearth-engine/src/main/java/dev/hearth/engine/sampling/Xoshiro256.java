package dev.hearth.engine.sampling;

/**
 * xoshiro256** 1.0 (Blackman and Vigna), seeded from one 64-bit value through splitmix64 as its authors
 * recommend. Small, fast, fully specified: the same seed gives the same stream on every JVM, unlike
 * {@link java.util.Random} subclasses whose algorithm is an implementation detail.
 */
public final class Xoshiro256 {
    private long s0, s1, s2, s3;

    public Xoshiro256(long seed) {
        long x = seed;
        s0 = splitMix(x += 0x9E3779B97F4A7C15L);
        s1 = splitMix(x += 0x9E3779B97F4A7C15L);
        s2 = splitMix(x += 0x9E3779B97F4A7C15L);
        s3 = splitMix(x + 0x9E3779B97F4A7C15L);
    }

    /** Raw state, for checking against the reference implementation's published output. */
    Xoshiro256(long s0, long s1, long s2, long s3) {
        if ((s0 | s1 | s2 | s3) == 0) throw new IllegalArgumentException("xoshiro256 state must not be all zero");
        this.s0 = s0;
        this.s1 = s1;
        this.s2 = s2;
        this.s3 = s3;
    }

    private static long splitMix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }
}
