package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Little-endian access to GGUF block fields and the two 16-bit float formats ggml stores: IEEE fp16 (block scales,
 * F16 tensors) and bfloat16. Conversions round to nearest even, as ggml does (F16C for fp16,
 * {@code ggml_compute_fp32_to_bf16} for bf16).
 */
final class HalfFloats {
    private HalfFloats() {}

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The fp16 at byte {@code offset}, widened to float (exact). */
    static float fp16(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(SHORT_LE, offset));
    }

    /** Stores {@code v} rounded to fp16 (nearest even; overflow gives infinity). */
    static void putFp16(MemorySegment s, long offset, float v) {
        s.set(SHORT_LE, offset, Float.floatToFloat16(v));
    }

    /** bf16 is the upper half of a float, so widening is a shift. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * Rounds to bf16 like ggml: nearest even on the dropped 16 bits; a NaN keeps its upper bits and is forced
     * quiet (otherwise truncation could turn a NaN whose payload is only in the low bits into infinity).
     */
    static short floatToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** C's {@code roundf}: halfway cases away from zero (Math.round would take -2.5 to -2). */
    static int roundHalfAway(float v) {
        double a = Math.floor(Math.abs((double) v) + 0.5); // exact in double for every float of this magnitude
        return (int) (v < 0 ? -a : a);
    }
}
