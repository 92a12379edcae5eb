package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hearth.engine.gguf.GgufArray;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.gguf.GgufValueType;
import dev.hearth.engine.tensor.GgmlType;

import java.lang.reflect.Array;
import java.math.BigInteger;
import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * What {@code hearth inspect} prints about a GGUF file: header, every metadata key (type and value), the tensor
 * table and totals, as text or JSON. Unless {@code full}, long strings and arrays are cut to their first part
 * and labelled with their real length, so a 150k-token vocabulary stays one line.
 */
final class GgufReport {
    static final int ARRAY_HEAD = 8;     // elements shown of a longer array
    static final int STRING_HEAD = 64;   // code points shown of a longer string
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final GgufFile f;
    private final boolean full;

    GgufReport(GgufFile f, boolean full) {
        this.f = f;
        this.full = full;
    }

    /** llama.cpp's short names for GGUF value types. */
    static String typeName(GgufValueType t) {
        return switch (t) {
            case UINT8 -> "u8";
            case INT8 -> "i8";
            case UINT16 -> "u16";
            case INT16 -> "i16";
            case UINT32 -> "u32";
            case INT32 -> "i32";
            case UINT64 -> "u64";
            case INT64 -> "i64";
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case BOOL -> "bool";
            case STRING -> "str";
            case ARRAY -> "arr";
        };
    }

    /** The type column: {@code u32}, {@code str}, or for arrays the element type and count, {@code str[877]}. */
    String typeLabel(String key) {
        GgufValueType t = f.metadataType(key);
        if (t != GgufValueType.ARRAY) return typeName(t);
        GgufArray a = (GgufArray) f.metadata().get(key);
        return typeName(a.elementType()) + "[" + a.length() + "]";
    }

    static String shape(long[] shape) {
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (long d : shape) j.add(Long.toString(d));
        return j.toString();
    }

    Map<GgmlType, Integer> tensorsPerType() {
        Map<GgmlType, Integer> n = new EnumMap<>(GgmlType.class);
        for (GgufTensor t : f.tensors().values()) n.merge(t.type(), 1, Integer::sum);
        return n;
    }

    // ---- text

    String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("file          ").append(f.path()).append('\n');
        sb.append("GGUF version  ").append(f.version()).append('\n');
        sb.append("alignment     ").append(f.alignment()).append('\n');
        sb.append("file size     ").append(f.fileSize()).append(" bytes (").append(Human.bytes(f.fileSize())).append(")\n");
        sb.append("data offset   ").append(f.dataOffset()).append('\n');

        sb.append("\nmetadata: ").append(f.metadata().size()).append(f.metadata().size() == 1 ? " key\n" : " keys\n");
        int keyWidth = Math.min(60, f.metadata().keySet().stream().mapToInt(String::length).max().orElse(0));
        int typeWidth = f.metadata().keySet().stream().mapToInt(k -> typeLabel(k).length()).max().orElse(0);
        for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
            sb.append("  ").append(pad(e.getKey(), keyWidth)).append("  ").append(pad(typeLabel(e.getKey()), typeWidth))
                    .append("  ").append(valueText(f.metadataType(e.getKey()), e.getValue())).append('\n');
        }

        sb.append("\ntensors: ").append(f.tensors().size()).append('\n');
        if (!f.tensors().isEmpty()) {
            String[][] rows = new String[f.tensors().size() + 1][];
            rows[0] = new String[]{"NAME", "TYPE", "SHAPE", "BYTES", "OFFSET"};
            int i = 1;
            for (GgufTensor t : f.tensors().values()) {
                rows[i++] = new String[]{t.name(), t.type().name(), shape(t.shape()), Long.toString(t.byteSize()),
                        Long.toString(t.fileOffset())};
            }
            int[] w = new int[5];
            for (String[] r : rows) for (int c = 0; c < 5; c++) w[c] = Math.max(w[c], r[c].length());
            for (String[] r : rows) {
                sb.append("  ").append(pad(r[0], w[0])).append("  ").append(pad(r[1], w[1])).append("  ").append(pad(r[2], w[2]))
                        .append("  ").append(padLeft(r[3], w[3])).append("  ").append(padLeft(r[4], w[4])).append('\n');
            }
        }

        long params = f.parameterCount(), bytes = f.tensorBytes();
        sb.append("\ntotals\n");
        sb.append("  tensors      ").append(f.tensors().size()).append('\n');
        sb.append("  tensor data  ").append(bytes).append(" bytes (").append(Human.bytes(bytes)).append(")\n");
        sb.append("  parameters   ").append(params).append(" (").append(Human.count(params)).append(")\n");
        StringJoiner perType = new StringJoiner(", ");
        tensorsPerType().forEach((type, n) -> perType.add(type.name() + " " + n));
        sb.append("  by type      ").append(perType.length() == 0 ? "-" : perType.toString()).append('\n');
        return sb.toString();
    }

    private String valueText(GgufValueType type, Object v) {
        return switch (v) {
            case String s -> quoted(s);
            case GgufArray a -> arrayText(a);
            default -> scalarText(type, v);
        };
    }

    private static String scalarText(GgufValueType type, Object v) {
        return switch (v) {
            case Byte b -> type.isUnsigned() ? Integer.toString(Byte.toUnsignedInt(b)) : b.toString();
            case Short s -> type.isUnsigned() ? Integer.toString(Short.toUnsignedInt(s)) : s.toString();
            case Integer i -> type.isUnsigned() ? Integer.toUnsignedString(i) : i.toString();
            case Long l -> type.isUnsigned() ? Long.toUnsignedString(l) : l.toString();
            default -> v.toString(); // Float, Double, Boolean
        };
    }

    private String arrayText(GgufArray a) {
        int n = a.length();
        int shown = full ? n : Math.min(n, n > ARRAY_HEAD + 2 ? ARRAY_HEAD : n);
        StringJoiner j = new StringJoiner(", ", "[", "]");
        for (int i = 0; i < shown; i++) j.add(valueText(a.elementType(), Array.get(a.values(), i)));
        if (shown < n) j.add("... " + (n - shown) + " more");
        return j.toString();
    }

    /** A string in double quotes, escaped so it stays on one line; cut (with its length) unless full. */
    private String quoted(String s) {
        int cps = s.codePointCount(0, s.length());
        boolean cut = !full && cps > STRING_HEAD + 16;
        String shown = cut ? s.substring(0, s.offsetByCodePoints(0, STRING_HEAD)) : s;
        StringBuilder sb = new StringBuilder(shown.length() + 16).append('"');
        for (int i = 0; i < shown.length(); i++) {
            char c = shown.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append(cut ? "...\"" : "\"");
        if (cut) sb.append(" (").append(cps).append(" chars)");
        return sb.toString();
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String padLeft(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    // ---- JSON

    String json() {
        ObjectNode root = NODES.objectNode();
        root.put("file", f.path().toString());
        root.put("version", f.version());
        root.put("alignment", f.alignment());
        root.put("file_size", f.fileSize());
        root.put("data_offset", f.dataOffset());

        ObjectNode metadata = root.putObject("metadata");
        for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
            ObjectNode m = metadata.putObject(e.getKey());
            GgufValueType type = f.metadataType(e.getKey());
            m.put("type", typeName(type));
            boolean[] truncated = {false};
            if (e.getValue() instanceof GgufArray a) {
                m.put("element_type", typeName(a.elementType()));
                m.put("count", a.length());
            } else if (e.getValue() instanceof String s) {
                m.put("length", s.codePointCount(0, s.length()));
            }
            m.set("value", valueJson(type, e.getValue(), truncated));
            if (truncated[0]) m.put("truncated", true);
        }

        ArrayNode tensors = root.putArray("tensors");
        for (GgufTensor t : f.tensors().values()) {
            ObjectNode n = tensors.addObject();
            n.put("name", t.name());
            n.put("type", t.type().name());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            n.put("bytes", t.byteSize());
            n.put("offset", t.fileOffset());
        }

        ObjectNode totals = root.putObject("totals");
        totals.put("tensors", f.tensors().size());
        totals.put("bytes", f.tensorBytes());
        totals.put("parameters", f.parameterCount());
        totals.put("parameters_human", Human.count(f.parameterCount()));
        ObjectNode perType = totals.putObject("by_type");
        tensorsPerType().forEach((type, n) -> perType.put(type.name(), n));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode valueJson(GgufValueType type, Object v, boolean[] truncated) {
        return switch (v) {
            case String s -> {
                int cps = s.codePointCount(0, s.length());
                if (!full && cps > STRING_HEAD + 16) {
                    truncated[0] = true;
                    yield NODES.textNode(s.substring(0, s.offsetByCodePoints(0, STRING_HEAD)));
                }
                yield NODES.textNode(s);
            }
            case GgufArray a -> {
                ArrayNode arr = NODES.arrayNode();
                int n = a.length();
                int shown = full || n <= ARRAY_HEAD + 2 ? n : ARRAY_HEAD;
                if (shown < n) truncated[0] = true;
                for (int i = 0; i < shown; i++) arr.add(valueJson(a.elementType(), Array.get(a.values(), i), truncated));
                yield arr;
            }
            case Byte b -> NODES.numberNode(type.isUnsigned() ? Byte.toUnsignedInt(b) : b);
            case Short s -> NODES.numberNode(type.isUnsigned() ? Short.toUnsignedInt(s) : s);
            case Integer i -> NODES.numberNode(type.isUnsigned() ? Integer.toUnsignedLong(i) : i);
            case Long l -> type.isUnsigned() && l < 0
                    ? NODES.numberNode(new BigInteger(Long.toUnsignedString(l))) : NODES.numberNode(l);
            case Float x -> Float.isFinite(x) ? NODES.numberNode(x) : NODES.textNode(x.toString());
            case Double x -> Double.isFinite(x) ? NODES.numberNode(x) : NODES.textNode(x.toString());
            case Boolean b -> NODES.booleanNode(b);
            default -> throw new IllegalStateException("unexpected metadata value " + v.getClass());
        };
    }
}
