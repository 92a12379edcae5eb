package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF v3 files: any metadata, any tensors. Tests use it to build models; commands use it to write
 * converted files. Values follow the same conventions as {@link GgufFile#metadata()}.
 */
public final class GgufWriter {
    private record Entry(GgufValueType type, Object value) {}

    /** {@code data} is null for a tensor that was only declared. */
    private record TensorEntry(String name, GgmlType type, long[] shape, MemorySegment data) {
        long byteSize() {
            long n = 1;
            for (long d : shape) n *= d;
            return type.tensorBytes(n);
        }
    }

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<TensorEntry> tensors = new ArrayList<>();
    private int version = 3;

    public GgufWriter version(int version) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version must be 2 or 3");
        this.version = version;
        return this;
    }

    /** A value of the given type: a boxed number or Boolean for scalars, a String, or a {@link GgufArray}. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        checkValue(type, value);
        if (key.equals("general.alignment")) { // readers refuse anything else, so refuse to write it
            long a = type == GgufValueType.UINT32 ? ((Number) value).longValue() : -1;
            if (a <= 0 || Long.bitCount(a) != 1) {
                throw new IllegalArgumentException("general.alignment must be a power of two u32, got " + type + " " + value);
            }
        }
        metadata.put(key, new Entry(type, value));
        return this;
    }

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }
    public GgufWriter putU32(String key, int value) { return put(key, GgufValueType.UINT32, value); }
    public GgufWriter putI32(String key, int value) { return put(key, GgufValueType.INT32, value); }
    public GgufWriter putU64(String key, long value) { return put(key, GgufValueType.UINT64, value); }
    public GgufWriter putF32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        return put(key, GgufValueType.ARRAY, new GgufArray(elementType, values));
    }

    /** Adds a tensor; {@code shape} is in ggml order (row length first), {@code data} its bytes in ggml layout. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long n = 1;
        for (long d : shape) n *= d;
        if (data.byteSize() != type.tensorBytes(n)) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes given, "
                    + type.tensorBytes(n) + " needed for " + n + " values of " + type);
        }
        tensors.add(new TensorEntry(name, type, shape.clone(), data));
        return this;
    }

    /**
     * Declares a tensor without its bytes, for outputs too large to hold in memory: {@link #writeHeader} lays it
     * out, and the caller writes its bytes at {@link #dataOffset(String)} past the data section's start.
     */
    public GgufWriter declareTensor(String name, GgmlType type, long... shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        type.byteSize(n); // checks whole blocks
        tensors.add(new TensorEntry(name, type, shape.clone(), null));
        return this;
    }

    public GgufWriter addTensor(String name, float[] values, long... shape) {
        return addTensor(name, GgmlType.F32, shape, MemorySegment.ofArray(values));
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        return addTensor(name, type, shape, MemorySegment.ofArray(data));
    }

    private int alignment() {
        Entry a = metadata.get("general.alignment");
        return a == null ? GgufFile.DEFAULT_ALIGNMENT : ((Number) a.value).intValue();
    }

    public void write(Path path) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16)) {
            write(out);
        }
    }

    public void write(OutputStream os) throws IOException {
        for (TensorEntry t : tensors) {
            if (t.data == null) throw new IllegalStateException("tensor '" + t.name + "' was declared without data: use writeHeader");
        }
        Out out = new Out(os);
        int alignment = alignment();
        writeHeader(out, alignment);
        for (TensorEntry t : tensors) {
            long start = out.count;
            byte[] chunk = new byte[1 << 16];
            for (long p = 0; p < t.data.byteSize(); p += chunk.length) {
                int n = (int) Math.min(chunk.length, t.data.byteSize() - p);
                MemorySegment.copy(t.data, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
                out.bytes(chunk, n);
            }
            if (out.count - start != t.data.byteSize()) throw new IllegalStateException("short tensor write");
            out.pad(alignment);
        }
        os.flush();
    }

    /**
     * Writes only the header (metadata, tensor infos, padding) and returns its length, which is where the data
     * section starts; tensor {@code t}'s bytes then belong at that plus {@link #dataOffset(String) dataOffset(t)}.
     */
    public long writeHeader(OutputStream os) throws IOException {
        Out out = new Out(os);
        writeHeader(out, alignment());
        os.flush();
        return out.count;
    }

    /** Where a tensor's bytes start, relative to the data section (the offset its tensor info records). */
    public long dataOffset(String name) {
        long offset = 0;
        for (TensorEntry t : tensors) {
            if (t.name.equals(name)) return offset;
            offset = GgufFile.alignUp(offset + t.byteSize(), alignment());
        }
        throw new IllegalArgumentException("no tensor '" + name + "'");
    }

    private void writeHeader(Out out, int alignment) throws IOException {
        out.i32(GgufFile.MAGIC);
        out.i32(version);
        out.i64(tensors.size());
        out.i64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.i32(e.getValue().type.id);
            writeValue(out, e.getValue().type, e.getValue().value);
        }
        long offset = 0;
        for (TensorEntry t : tensors) {
            out.string(t.name);
            out.i32(t.shape.length);
            for (long d : t.shape) out.i64(d);
            out.i32(t.type.id);
            out.i64(offset);
            offset = GgufFile.alignUp(offset + t.byteSize(), alignment);
        }
        out.pad(alignment);
    }

    private static void writeValue(Out out, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> out.u8(((Number) v).byteValue());
            case UINT16, INT16 -> out.i16(((Number) v).shortValue());
            case UINT32, INT32 -> out.i32(((Number) v).intValue());
            case UINT64, INT64 -> out.i64(((Number) v).longValue());
            case FLOAT32 -> out.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> out.u8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> {
                GgufArray a = (GgufArray) v;
                out.i32(a.elementType().id);
                int n = a.length();
                out.i64(n);
                for (int i = 0; i < n; i++) writeValue(out, a.elementType(), java.lang.reflect.Array.get(a.values(), i));
            }
        }
    }

    private static void checkValue(GgufValueType type, Object v) {
        boolean ok = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64, FLOAT32, FLOAT64 -> v instanceof Number;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> v instanceof GgufArray a && a.values().getClass().isArray()
                    && (a.elementType() != GgufValueType.ARRAY || a.values() instanceof GgufArray[]);
        };
        if (!ok) throw new IllegalArgumentException("value " + v + " does not fit GGUF type " + type);
    }

    /** Little-endian primitive output that counts bytes, for alignment padding. */
    private static final class Out {
        final OutputStream os;
        final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        Out(OutputStream os) { this.os = os; }

        void u8(int b) throws IOException { os.write(b); count++; }
        void i16(short v) throws IOException { buf.clear(); buf.putShort(v); bytes(buf.array(), 2); }
        void i32(int v) throws IOException { buf.clear(); buf.putInt(v); bytes(buf.array(), 4); }
        void i64(long v) throws IOException { buf.clear(); buf.putLong(v); bytes(buf.array(), 8); }
        void bytes(byte[] b, int n) throws IOException { os.write(b, 0, n); count += n; }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b, b.length);
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) u8(0);
        }
    }
}
