package dev.hearth.engine.gguf;

import java.lang.reflect.Array;

/**
 * A metadata array. {@code values} is a primitive array of the element width (byte[] for UINT8/INT8,
 * short[], int[], long[], float[], double[], boolean[]), a String[], or a GgufArray[] for nested arrays.
 * Unsigned elements keep their bit pattern in the signed Java type of the same width.
 */
public record GgufArray(GgufValueType elementType, Object values) {
    public int length() {
        return Array.getLength(values);
    }
}
