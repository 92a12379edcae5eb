package dev.hearth.engine.gguf;

import dev.hearth.engine.tensor.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (v2 or v3), memory-mapped. Metadata is parsed eagerly; tensor data stays in the mapping and is
 * handed out as {@link MemorySegment} slices, never copied. Every count, length and offset is checked against
 * the file's size before it is used, so a damaged file fails here with a message naming it and the problem.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> metadataTypes;
    private final Map<String, GgufTensor> tensors;

    private GgufFile(Path path, Arena arena, MemorySegment mapping, int version, int alignment, long dataOffset,
                     Map<String, Object> metadata, Map<String, GgufValueType> metadataTypes,
                     Map<String, GgufTensor> tensors) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = metadata;
        this.metadataTypes = metadataTypes;
        this.tensors = tensors;
    }

    /** Opens and validates a GGUF file. The mapping lives until {@link #close()}. */
    public static GgufFile open(Path path) throws IOException {
        // mapping a directory fails with a bare "No such device": say what it is instead
        if (Files.isDirectory(path)) throw new GgufFormatException(path + ": is a directory, not a GGUF file");
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment mapping = size == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return parse(path, arena, mapping);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Parses GGUF bytes that are already in memory; {@code path} only names them in messages (tests use it). */
    static GgufFile parse(Path path, MemorySegment bytes) throws GgufFormatException {
        return parse(path, Arena.ofConfined(), bytes); // nothing is allocated in it; confined closes cheaply
    }

    private static GgufFile parse(Path path, Arena arena, MemorySegment m) throws GgufFormatException {
        Reader r = new Reader(path, m);
        if (m.byteSize() < 4 || m.get(I32, 0) != MAGIC) {
            throw r.fail("not a GGUF file (missing 'GGUF' magic at offset 0)");
        }
        r.pos = 4;
        int version = r.i32("version");
        if (version == 1) throw r.fail("GGUF version 1 is not supported (only versions 2 and 3)");
        if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
            throw r.fail("big-endian GGUF files are not supported (version field reads " + Integer.reverseBytes(version) + " byte-swapped)");
        }
        if (version < 2 || version > 3) throw r.fail("unsupported GGUF version " + Integer.toUnsignedString(version));
        long tensorCount = r.count("tensor count", 8 + 4 + 8 + 8); // name len, n_dims, type, offset at least
        long kvCount = r.count("metadata key/value count", 8 + 4); // key len + type at least

        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("key of metadata entry " + i);
            int typeId = r.i32("type of '" + key + "'");
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw r.fail("metadata '" + key + "' has unknown value type " + typeId);
            Object value = r.value(type, key, 0);
            if (metadata.put(key, value) != null) throw r.fail("duplicate metadata key '" + key + "'");
            types.put(key, type);
        }

        int alignment = DEFAULT_ALIGNMENT;
        Object a = metadata.get("general.alignment");
        if (a != null) {
            if (!(a instanceof Integer ai) || ai <= 0 || (ai & (ai - 1)) != 0 || ai > 1 << 20) {
                throw r.fail("general.alignment must be a power of two u32, got " + a);
            }
            alignment = ai;
        }

        record Info(String name, GgmlType type, long[] shape, long offset, long bytes) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.string("name of tensor " + i);
            int nDims = r.i32("dimension count of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw r.fail("tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (1.." + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.i64("dimension " + d + " of tensor '" + name + "'");
                if (shape[d] <= 0 || shape[d] > m.byteSize() * 8 + 1) {
                    throw r.fail("tensor '" + name + "' has impossible dimension " + Long.toUnsignedString(shape[d]));
                }
                elements = Math.multiplyHigh(elements, shape[d]) != 0 ? -1 : elements * shape[d];
                if (elements < 0 || elements > m.byteSize() * 8 + 1) {
                    throw r.fail("tensor '" + name + "' has more elements than the file could hold");
                }
            }
            int typeId = r.i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw r.fail("tensor '" + name + "' has unknown ggml type id " + Integer.toUnsignedString(typeId));
            }
            if (shape[0] % type.blockSize != 0) {
                throw r.fail("tensor '" + name + "' of type " + type + " has row length " + shape[0]
                        + ", not a multiple of its block size " + type.blockSize);
            }
            long offset = r.i64("data offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) {
                throw r.fail("tensor '" + name + "' has data offset " + Long.toUnsignedString(offset)
                        + " that is not aligned to " + alignment);
            }
            infos.add(new Info(name, type, shape, offset, type.tensorBytes(elements)));
        }
        long dataOffset = alignUp(r.pos, alignment);

        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (Info info : infos) {
            long start = dataOffset + info.offset;
            if (start < dataOffset || start + info.bytes > m.byteSize() || start + info.bytes < start) {
                throw r.fail("tensor '" + info.name + "' (" + info.bytes + " bytes at data offset " + info.offset
                        + ") extends past the end of the file (" + m.byteSize() + " bytes): the file is truncated or damaged");
            }
            GgufTensor t = new GgufTensor(info.name, info.type, info.shape, start, m.asSlice(start, info.bytes));
            if (tensors.put(info.name, t) != null) throw r.fail("duplicate tensor name '" + info.name + "'");
        }
        return new GgufFile(r.path, arena, m, version, alignment, dataOffset,
                Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(types),
                Collections.unmodifiableMap(tensors));
    }

    static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    public Path path() { return path; }
    public int version() { return version; }
    public int alignment() { return alignment; }
    /** File offset where the tensor data section starts. */
    public long dataOffset() { return dataOffset; }
    public long fileSize() { return mapping.byteSize(); }
    /** The whole file's mapping. */
    public MemorySegment mapping() { return mapping; }

    /** Metadata in file order. Values: boxed scalars (unsigned kept as the same-width signed box), String, GgufArray. */
    public Map<String, Object> metadata() { return metadata; }
    public GgufValueType metadataType(String key) { return metadataTypes.get(key); }

    /** Tensors in file order. */
    public Map<String, GgufTensor> tensors() { return tensors; }

    public GgufTensor tensor(String name) { return tensors.get(name); }

    /** Number of weights: the element count summed over all tensors. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensor t : tensors.values()) n += t.elementCount();
        return n;
    }

    /** Bytes of tensor data, padding excluded. */
    public long tensorBytes() {
        long n = 0;
        for (GgufTensor t : tensors.values()) n += t.byteSize();
        return n;
    }

    public boolean has(String key) { return metadata.containsKey(key); }

    public String getString(String key) {
        return as(key, String.class);
    }

    public String getString(String key, String orElse) {
        return has(key) ? getString(key) : orElse;
    }

    /** An integer value of any width; unsigned types are read as unsigned. */
    public long getLong(String key) {
        Object v = metadata.get(key);
        if (v == null) throw missing(key);
        GgufValueType t = metadataTypes.get(key);
        return switch (v) {
            case Byte b -> t.isUnsigned() ? Byte.toUnsignedLong(b) : b;
            case Short s -> t.isUnsigned() ? Short.toUnsignedLong(s) : s;
            case Integer i -> t.isUnsigned() ? Integer.toUnsignedLong(i) : i;
            case Long l -> l;
            default -> throw wrongType(key, "an integer");
        };
    }

    public long getLong(String key, long orElse) {
        return has(key) ? getLong(key) : orElse;
    }

    public int getInt(String key) {
        long v = getLong(key);
        if (v != (int) v) throw new IllegalArgumentException(path + ": metadata '" + key + "' = " + v + " does not fit an int");
        return (int) v;
    }

    public int getInt(String key, int orElse) {
        return has(key) ? getInt(key) : orElse;
    }

    public float getFloat(String key) {
        return switch (metadata.get(key)) {
            case null -> throw missing(key);
            case Float f -> f;
            case Double d -> d.floatValue();
            default -> throw wrongType(key, "a float");
        };
    }

    public float getFloat(String key, float orElse) {
        return has(key) ? getFloat(key) : orElse;
    }

    public boolean getBool(String key, boolean orElse) {
        return has(key) ? as(key, Boolean.class) : orElse;
    }

    public GgufArray getArray(String key) {
        return as(key, GgufArray.class);
    }

    private <T> T as(String key, Class<T> type) {
        Object v = metadata.get(key);
        if (v == null) throw missing(key);
        if (!type.isInstance(v)) throw wrongType(key, type.getSimpleName());
        return type.cast(v);
    }

    private IllegalArgumentException missing(String key) {
        return new IllegalArgumentException(path + ": metadata key '" + key + "' is missing");
    }

    private IllegalArgumentException wrongType(String key, String expected) {
        return new IllegalArgumentException(path + ": metadata '" + key + "' is " + metadataTypes.get(key) + ", expected " + expected);
    }

    @Override
    public void close() {
        arena.close();
    }

    /** A bounds-checked cursor over the mapping; every failure names the file and the offset. */
    private static final class Reader {
        final Path path;
        final MemorySegment m;
        // one strict decoder for the whole header: a vocabulary has ~10^5 strings
        final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        long pos;

        Reader(Path path, MemorySegment m) {
            this.path = path;
            this.m = m;
        }

        GgufFormatException fail(String what) {
            return new GgufFormatException(path + ": " + what);
        }

        private void need(long n, String what) throws GgufFormatException {
            if (n < 0 || pos + n > m.byteSize() || pos + n < pos) {
                throw fail("truncated: " + what + " at offset " + pos + " needs " + n + " bytes but the file has "
                        + m.byteSize() + " bytes");
            }
        }

        int i32(String what) throws GgufFormatException {
            need(4, what);
            int v = m.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what) throws GgufFormatException {
            need(8, what);
            long v = m.get(I64, pos);
            pos += 8;
            return v;
        }

        /** A u64 count whose elements take at least {@code minElementSize} bytes each: bounded by what remains. */
        long count(String what, long minElementSize) throws GgufFormatException {
            long n = i64(what);
            long remaining = m.byteSize() - pos;
            if (n < 0 || n > remaining / Math.max(1, minElementSize)) {
                throw fail(what + " " + Long.toUnsignedString(n) + " is impossible: only " + remaining
                        + " bytes remain after offset " + pos);
            }
            return n;
        }

        String string(String what) throws GgufFormatException {
            return string(what, -1);
        }

        /**
         * A length-prefixed UTF-8 string. {@code what} and {@code element} (when >= 0) only name it in errors: the
         * name is built on failure only, since a vocabulary holds ~10^5 strings.
         */
        String string(String what, int element) throws GgufFormatException {
            if (pos + 8 > m.byteSize()) need(8, "length of " + name(what, element));
            long len = m.get(I64, pos);
            pos += 8;
            if (len < 0 || len > m.byteSize() - pos) {
                throw fail("truncated or damaged: " + name(what, element) + " at offset " + (pos - 8) + " claims "
                        + Long.toUnsignedString(len) + " bytes, only " + (m.byteSize() - pos) + " remain");
            }
            if (len > Integer.MAX_VALUE - 16) throw fail(name(what, element) + " is too long (" + len + " bytes)");
            byte[] b = m.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return utf8.decode(java.nio.ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                // Vocabularies occasionally hold invalid UTF-8 (partial byte sequences); keep them readable.
                return new String(b, StandardCharsets.UTF_8);
            }
        }

        private static String name(String what, int element) {
            return element < 0 ? what : "element " + element + " of " + what;
        }

        Object value(GgufValueType type, String key, int depth) throws GgufFormatException {
            String what = "value of '" + key + "'";
            return switch (type) {
                case UINT8, INT8 -> { need(1, what); yield m.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16, INT16 -> { need(2, what); short s = m.get(I16, pos); pos += 2; yield s; }
                case UINT32, INT32 -> i32(what);
                case UINT64, INT64 -> i64(what);
                case FLOAT32 -> { need(4, what); float f = m.get(F32, pos); pos += 4; yield f; }
                case FLOAT64 -> { need(8, what); double d = m.get(F64, pos); pos += 8; yield d; }
                case BOOL -> {
                    need(1, what);
                    byte b = m.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) throw fail("metadata '" + key + "' is a bool with byte value " + b + " at offset " + (pos - 1));
                    yield b != 0;
                }
                case STRING -> string(what);
                case ARRAY -> array(key, depth);
            };
        }

        GgufArray array(String key, int depth) throws GgufFormatException {
            if (depth >= MAX_NESTING) throw fail("metadata '" + key + "' nests arrays deeper than " + MAX_NESTING);
            int typeId = i32("element type of array '" + key + "'");
            GgufValueType et = GgufValueType.byId(typeId);
            if (et == null) throw fail("array '" + key + "' has unknown element type " + typeId);
            long n = count("element count of array '" + key + "'", et.minSize);
            int len = (int) n; // bounded by the file size / element size above, and by the check below
            if (n > Integer.MAX_VALUE - 16) throw fail("array '" + key + "' has too many elements (" + n + ")");
            Object values = switch (et) {
                case UINT8, INT8 -> { byte[] a = m.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE); pos += n; yield a; }
                case UINT16, INT16 -> { short[] a = new short[len]; MemorySegment.copy(m, I16, pos, a, 0, len); pos += 2 * n; yield a; }
                case UINT32, INT32 -> { int[] a = new int[len]; MemorySegment.copy(m, I32, pos, a, 0, len); pos += 4 * n; yield a; }
                case UINT64, INT64 -> { long[] a = new long[len]; MemorySegment.copy(m, I64, pos, a, 0, len); pos += 8 * n; yield a; }
                case FLOAT32 -> { float[] a = new float[len]; MemorySegment.copy(m, F32, pos, a, 0, len); pos += 4 * n; yield a; }
                case FLOAT64 -> { double[] a = new double[len]; MemorySegment.copy(m, F64, pos, a, 0, len); pos += 8 * n; yield a; }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = (boolean) value(GgufValueType.BOOL, key, depth);
                    yield a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    String what = "'" + key + "'";
                    for (int i = 0; i < len; i++) a[i] = string(what, i);
                    yield a;
                }
                case ARRAY -> {
                    GgufArray[] a = new GgufArray[len];
                    for (int i = 0; i < len; i++) a[i] = array(key, depth + 1);
                    yield a;
                }
            };
            return new GgufArray(et, values);
        }
    }
}
