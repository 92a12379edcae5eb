package dev.hearth.cli.synth;

import dev.hearth.engine.tensor.GgmlType;

import java.util.Locale;

/**
 * Which type each tensor gets in a file of a given llama.cpp file type, following llama-quantize's rules (without an
 * importance matrix) for the mixes we make: 1-D tensors stay F32, 2-D ones are all F16 (BF16) in an F16 (BF16) file;
 * the output matrix (the token embeddings when they are tied to it) goes to Q6_K unless the mix is Q8_0; in Q4_K_M,
 * {@code attn_v} and {@code ffn_down} of the layers that "use more bits" (the first and last eighth, and every third
 * in between) go to Q6_K; a row length that is not a whole number of 256-blocks falls back from Q4_K to Q5_0 and from
 * Q6_K to Q8_0 (Q8_0 for the output matrix directly).
 */
public enum QuantMix {
    F16(GgmlType.F16, 1), BF16(GgmlType.BF16, 32), Q8_0(GgmlType.Q8_0, 7), Q4_0(GgmlType.Q4_0, 2), Q4_K_M(GgmlType.Q4_K, 15);

    /** The type most weights get. */
    public final GgmlType base;
    /** {@code general.file_type}: llama.cpp's llama_ftype. */
    public final int fileType;

    QuantMix(GgmlType base, int fileType) {
        this.base = base;
        this.fileType = fileType;
    }

    public static QuantMix of(String name) {
        for (QuantMix m : values()) if (m.name().equalsIgnoreCase(name)) return m;
        throw new IllegalArgumentException("unknown type '" + name + "'; known: f16, bf16, q8_0, q4_0, q4_k_m");
    }

    public String fileName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type of a 2-D weight whose rows hold {@code rowLength} values. {@code role} is the tensor name without
     * its {@code blk.N.} prefix; {@code tiedOutput} says whether this matrix is also the output matrix.
     */
    public GgmlType typeOf(String role, int layer, int layers, long rowLength, boolean tiedOutput) {
        if (this == F16 || this == BF16) return base;
        if (role.equals("output.weight") || (tiedOutput && role.equals("token_embd.weight"))) {
            if (rowLength % base.blockSize != 0) return GgmlType.Q8_0;
            return base == GgmlType.Q8_0 ? GgmlType.Q8_0 : fallback(GgmlType.Q6_K, rowLength);
        }
        GgmlType t = base;
        if (this == Q4_K_M && (role.equals("attn_v.weight") || role.equals("ffn_down.weight")) && moreBits(layer, layers)) {
            t = GgmlType.Q6_K;
        }
        return fallback(t, rowLength);
    }

    /** llama.cpp's use_more_bits. */
    static boolean moreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static GgmlType fallback(GgmlType t, long rowLength) {
        if (rowLength % t.blockSize == 0) return t;
        GgmlType f = switch (t) {
            case Q4_K -> GgmlType.Q5_0;
            case Q6_K -> GgmlType.Q8_0;
            default -> throw new IllegalArgumentException("rows of " + rowLength + " values do not fit " + t + " blocks");
        };
        if (rowLength % f.blockSize != 0) throw new IllegalArgumentException("rows of " + rowLength + " values do not fit " + f + " blocks");
        return f;
    }
}
