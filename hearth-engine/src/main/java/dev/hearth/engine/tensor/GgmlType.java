package dev.hearth.engine.tensor;

/**
 * The element types ggml knows, with their GGUF ids and block geometry (values per block, bytes per block).
 * Knowing a type is not the same as supporting it: {@link BlockFormat#of} says which ones have kernels.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q4_1(3, 32, 20),
    Q5_0(6, 32, 22),
    Q5_1(7, 32, 24),
    Q8_0(8, 32, 34),
    Q8_1(9, 32, 36),
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    /** Microsoft's BitNet b1.58 ternary format (bitnet.cpp): see {@link I2_S}. */
    I2_S(36, 128, 32);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    public final int id;
    public final int blockSize;
    public final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    /** The type with this GGUF id, or null when the id is not a ggml type this build knows. */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /** Bytes taken by {@code n} values; {@code n} must be a whole number of blocks. */
    public long byteSize(long n) {
        if (n % blockSize != 0) {
            throw new IllegalArgumentException(n + " values is not a whole number of " + name() + " blocks of " + blockSize);
        }
        return n / blockSize * typeSize;
    }

    /**
     * Bytes a whole tensor of {@code n} values takes in a file: {@link #byteSize}, plus for {@link #I2_S} the 32-byte
     * tail holding the tensor's scale.
     */
    public long tensorBytes(long n) {
        return byteSize(n) + (this == I2_S ? 32 : 0);
    }

    public boolean isQuantized() {
        return blockSize > 1;
    }
}
