package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.hearth.engine.gguf.GgufTestFiles.assertValueEquals;
import static dev.hearth.engine.gguf.GgufTestFiles.random;
import static dev.hearth.engine.gguf.GgufValueType.*;
import static org.junit.jupiter.api.Assertions.*;

/** What {@link GgufWriter} writes, {@link GgufFile} reads back exactly: every value type, v2 and v3, any alignment. */
class GgufRoundTripTest {
    @TempDir
    Path tmp;

    record Value(GgufValueType type, Object value) {}

    /** One or more values of every type, edge cases included, in a fixed order. */
    static Map<String, Value> everyValueType() {
        Map<String, Value> v = new LinkedHashMap<>();
        v.put("u8.zero", new Value(UINT8, (byte) 0));
        v.put("u8.max", new Value(UINT8, (byte) 0xFF));
        v.put("i8.min", new Value(INT8, Byte.MIN_VALUE));
        v.put("i8.max", new Value(INT8, Byte.MAX_VALUE));
        v.put("u16.max", new Value(UINT16, (short) 0xFFFF));
        v.put("i16.min", new Value(INT16, Short.MIN_VALUE));
        v.put("u32.max", new Value(UINT32, 0xFFFFFFFF));
        v.put("i32.min", new Value(INT32, Integer.MIN_VALUE));
        v.put("i32.max", new Value(INT32, Integer.MAX_VALUE));
        v.put("u64.max", new Value(UINT64, -1L));
        v.put("i64.min", new Value(INT64, Long.MIN_VALUE));
        v.put("f32.pi", new Value(FLOAT32, (float) Math.PI));
        v.put("f32.neg_zero", new Value(FLOAT32, -0.0f));
        v.put("f32.min_subnormal", new Value(FLOAT32, Float.MIN_VALUE));
        v.put("f32.inf", new Value(FLOAT32, Float.NEGATIVE_INFINITY));
        v.put("f32.nan", new Value(FLOAT32, Float.intBitsToFloat(0x7fc00123)));
        v.put("f64.e", new Value(FLOAT64, Math.E));
        v.put("f64.max", new Value(FLOAT64, Double.MAX_VALUE));
        v.put("bool.true", new Value(BOOL, true));
        v.put("bool.false", new Value(BOOL, false));
        v.put("str.empty", new Value(STRING, ""));
        v.put("str.ascii", new Value(STRING, "hello, world"));
        v.put("str.unicode", new Value(STRING, "Grüße ▁the 日本語 русский 🔥 عربى"));
        v.put("str.control", new Value(STRING, "a\u0000b\nc\td\"e\\"));
        v.put("str.long", new Value(STRING, "{% for m in messages %}".repeat(500)));
        v.put("键.ключ", new Value(STRING, "non-ASCII key"));
        v.put("arr.u8", arr(UINT8, new byte[]{0, 1, (byte) 0x80, (byte) 0xFF}));
        v.put("arr.i8", arr(INT8, new byte[]{-128, -1, 0, 127}));
        v.put("arr.u16", arr(UINT16, new short[]{0, (short) 0xFFFF, 1234}));
        v.put("arr.i16", arr(INT16, new short[]{Short.MIN_VALUE, -1, Short.MAX_VALUE}));
        v.put("arr.u32", arr(UINT32, new int[]{0, -1, 42}));
        v.put("arr.i32", arr(INT32, new int[]{Integer.MIN_VALUE, -7, Integer.MAX_VALUE}));
        v.put("arr.u64", arr(UINT64, new long[]{0, -1L, 1L << 40}));
        v.put("arr.i64", arr(INT64, new long[]{Long.MIN_VALUE, -3, Long.MAX_VALUE}));
        v.put("arr.f32", arr(FLOAT32, new float[]{1.5f, -0.0f, Float.NaN, Float.POSITIVE_INFINITY, 1e-40f}));
        v.put("arr.f64", arr(FLOAT64, new double[]{1e300, -0.0, Double.MIN_VALUE}));
        v.put("arr.bool", arr(BOOL, new boolean[]{true, false, true}));
        v.put("arr.str", arr(STRING, new String[]{"<s>", "", "▁über", "🔥", "a b"}));
        for (GgufValueType t : GgufValueType.values()) {
            Object empty = switch (t) {
                case UINT8, INT8 -> new byte[0];
                case UINT16, INT16 -> new short[0];
                case UINT32, INT32 -> new int[0];
                case UINT64, INT64 -> new long[0];
                case FLOAT32 -> new float[0];
                case FLOAT64 -> new double[0];
                case BOOL -> new boolean[0];
                case STRING -> new String[0];
                case ARRAY -> new GgufArray[0];
            };
            v.put("arr.empty." + t.name().toLowerCase(), arr(t, empty));
        }
        v.put("arr.nested", arr(ARRAY, new GgufArray[]{
                new GgufArray(INT32, new int[]{1, 2, 3}),
                new GgufArray(INT32, new int[]{}),
                new GgufArray(STRING, new String[]{"x", "ÿ"}),
                new GgufArray(ARRAY, new GgufArray[]{new GgufArray(FLOAT64, new double[]{0.5}), new GgufArray(BOOL, new boolean[0])})}));
        v.put("arr.merges", arr(STRING, new String[]{"▁ t", "h e", "▁t he"}));
        return v;
    }

    private static Value arr(GgufValueType elementType, Object values) {
        return new Value(ARRAY, new GgufArray(elementType, values));
    }

    record TensorSpec(String name, GgmlType type, long[] shape, byte[] data) {}

    static List<TensorSpec> tensors() {
        List<TensorSpec> t = new ArrayList<>();
        t.add(spec("f32.odd", GgmlType.F32, 7, 3));
        t.add(spec("f16.vec", GgmlType.F16, 5));
        t.add(spec("bf16.3d", GgmlType.BF16, 2, 2, 2));
        t.add(spec("q8_0", GgmlType.Q8_0, 64, 2));
        t.add(spec("q4_K", GgmlType.Q4_K, 256, 3));
        t.add(spec("q6_K", GgmlType.Q6_K, 256));
        t.add(spec("i8", GgmlType.I8, 3));
        t.add(spec("i32.4d", GgmlType.I32, 1, 2, 1, 3));
        t.add(spec("tq2_0", GgmlType.TQ2_0, 256, 2));
        return t;
    }

    private static TensorSpec spec(String name, GgmlType type, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return new TensorSpec(name, type, shape, random(name.hashCode(), (int) type.byteSize(n)));
    }

    @ParameterizedTest(name = "v{0}, alignment {1}")
    @CsvSource({"3, 0", "2, 0", "3, 1", "3, 8", "2, 64", "3, 64", "3, 256", "2, 256"})
    void everyValueAndTensorReadsBackExactly(int version, int alignment) throws Exception {
        Map<String, Value> values = everyValueType();
        List<TensorSpec> tensors = tensors();
        GgufWriter w = new GgufWriter().version(version);
        if (alignment != 0) w.putU32("general.alignment", alignment);
        values.forEach((k, v) -> w.put(k, v.type, v.value));
        for (TensorSpec t : tensors) w.addTensor(t.name, t.type, t.shape, t.data);
        Path file = tmp.resolve("all.gguf");
        w.write(file);

        int expectedAlignment = alignment == 0 ? GgufFile.DEFAULT_ALIGNMENT : alignment;
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(version, f.version());
            assertEquals(expectedAlignment, f.alignment());
            assertEquals(Files.size(file), f.fileSize());
            assertEquals(0, f.dataOffset() % expectedAlignment, "data section aligned");

            List<String> keys = new ArrayList<>(values.keySet());
            if (alignment != 0) keys.addFirst("general.alignment");
            assertEquals(keys, new ArrayList<>(f.metadata().keySet()), "keys in file order");
            for (var e : values.entrySet()) {
                assertEquals(e.getValue().type, f.metadataType(e.getKey()), e.getKey() + " type");
                assertValueEquals(e.getKey(), e.getValue().value, f.metadata().get(e.getKey()));
            }

            assertEquals(tensors.stream().map(TensorSpec::name).toList(), new ArrayList<>(f.tensors().keySet()));
            long previousEnd = f.dataOffset();
            for (TensorSpec spec : tensors) {
                GgufTensor t = f.tensor(spec.name);
                assertEquals(spec.type, t.type(), spec.name);
                assertArrayEquals(spec.shape, t.shape(), spec.name);
                assertEquals(0, t.fileOffset() % expectedAlignment, spec.name + " aligned");
                assertTrue(t.fileOffset() >= previousEnd, spec.name + " does not overlap the previous tensor");
                assertArrayEquals(spec.data, t.data().toArray(ValueLayout.JAVA_BYTE), spec.name + " bytes");
                previousEnd = t.fileOffset() + t.byteSize();
            }
        }
    }

    @Test
    void unsignedIntegersReadAsUnsigned() throws Exception {
        Path file = tmp.resolve("u.gguf");
        new GgufWriter()
                .put("u8", UINT8, (byte) 0xFF).put("i8", INT8, (byte) 0xFF)
                .put("u16", UINT16, (short) 0xFFFF).put("i16", INT16, (short) 0xFFFF)
                .put("u32", UINT32, 0xFFFFFFFF).put("i32", INT32, 0xFFFFFFFF)
                .write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(255, f.getLong("u8"));
            assertEquals(-1, f.getLong("i8"));
            assertEquals(65535, f.getLong("u16"));
            assertEquals(-1, f.getLong("i16"));
            assertEquals(4294967295L, f.getLong("u32"));
            assertEquals(-1, f.getInt("i32"));
            assertThrows(IllegalArgumentException.class, () -> f.getInt("u32"), "u32 max does not fit an int");
        }
    }

    @Test
    void fileWithNoTensorsAndNoMetadata() throws Exception {
        Path file = tmp.resolve("empty.gguf");
        new GgufWriter().write(file);
        try (GgufFile f = GgufFile.open(file)) {
            assertTrue(f.metadata().isEmpty());
            assertTrue(f.tensors().isEmpty());
            assertEquals(32, f.dataOffset(), "24-byte header padded to the default alignment");
        }
    }

    @Test
    void declaredTensorsAreLaidOutLikeWrittenOnes() throws Exception {
        // writeHeader + dataOffset (for streaming big outputs) must agree with write() byte for byte.
        List<TensorSpec> tensors = tensors();
        GgufWriter full = new GgufWriter().putU32("general.alignment", 64);
        GgufWriter declared = new GgufWriter().putU32("general.alignment", 64);
        for (TensorSpec t : tensors) {
            full.addTensor(t.name, t.type, t.shape, t.data);
            declared.declareTensor(t.name, t.type, t.shape);
        }
        byte[] whole = GgufTestFiles.bytes(full);
        var header = new java.io.ByteArrayOutputStream();
        long dataStart = declared.writeHeader(header);
        assertEquals(header.size(), dataStart);
        byte[] assembled = new byte[whole.length];
        System.arraycopy(header.toByteArray(), 0, assembled, 0, header.size());
        for (TensorSpec t : tensors) {
            System.arraycopy(t.data, 0, assembled, (int) (dataStart + declared.dataOffset(t.name)), t.data.length);
        }
        assertArrayEquals(whole, assembled);
        assertThrows(IllegalStateException.class, () -> declared.write(new java.io.ByteArrayOutputStream()));
    }
}
