package dev.hearth.engine.tensor;

import java.lang.foreign.MemorySegment;

/** The scalar (specification) dot of each format in this helper's set, by type. */
final class DotReference {
    private DotReference() {}

    static float scalar(GgmlType type, MemorySegment w, long wOffset, MemorySegment x, long xOffset, int n) {
        return switch (type) {
            case F32 -> F32.dotScalar(w, wOffset, x, xOffset, n);
            case F16 -> F16.dotScalar(w, wOffset, x, xOffset, n);
            case BF16 -> BF16.dotScalar(w, wOffset, x, xOffset, n);
            case Q4_0 -> Q4_0.dotScalar(w, wOffset, x, xOffset, n);
            case Q4_1 -> Q4_1.dotScalar(w, wOffset, x, xOffset, n);
            case Q5_0 -> Q5_0.dotScalar(w, wOffset, x, xOffset, n);
            case Q5_1 -> Q5_1.dotScalar(w, wOffset, x, xOffset, n);
            case Q8_0 -> Q8_0.dotScalar(w, wOffset, x, xOffset, n);
            case IQ4_NL -> IQ4_NL.dotScalar(w, wOffset, x, xOffset, n);
            default -> throw new IllegalArgumentException("no scalar reference here for " + type);
        };
    }
}
