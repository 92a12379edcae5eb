package dev.hearth.engine.model;

/**
 * The weights of one transformer block. Absent parts are null: a file has either {@code qkv} or {@code q, k, v};
 * {@code gate} is null for plain and fused FFNs; the norms other than {@code attnNorm} exist only in the families
 * that use them (q/k norms: Qwen3, Gemma 3; sub-norms: BitNet; post-norms: Gemma 2/3; {@code ffnNorm} is null where
 * the FFN reuses the attention norm).
 */
record Layer(Norm attnNorm, Linear q, Linear k, Linear v, Linear qkv, Norm qNorm, Norm kNorm, Norm attnSubNorm,
             Linear output, Norm postAttnNorm, Norm ffnNorm, Linear gate, Linear up, Norm ffnSubNorm, Linear down,
             Norm postFfnNorm) {
}
