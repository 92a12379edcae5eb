package dev.hearth.cli.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hyperparameters and tokenizer conventions of a real model, for a synthetic file of the same shape. Values
 * are those of the models' config.json as llama.cpp's converter writes them (all three tie the output matrix to
 * the token embeddings, so the files have no {@code output.weight}).
 *
 * @param specials    control tokens by id, in the order the real vocabulary has them
 * @param padFrom     ids from here to the end are padding ({@code [PADn]}, unused), as the converter fills a
 *                    vocabulary smaller than the embedding matrix; -1 when there is none
 * @param llama3Rope  whether the model uses llama3 rope scaling (factor 32, low 1, high 4, original context 8192),
 *                    which the converter stores as a {@code rope_freqs.weight} tensor
 */
public record SynthShape(String name, String architecture, int embedding, int layers, int heads, int headsKv,
                         int feedForward, int vocabulary, float ropeTheta, float rmsEps, int context,
                         boolean qkvBias, boolean llama3Rope, String pre, List<Special> specials, int padFrom,
                         int bos, int eos, int eot, boolean addBos, String chatTemplate) {

    /** A control token of the vocabulary. */
    public record Special(int id, String text) {}

    public static final List<String> NAMES = List.of("llama-3.2-1b", "qwen2.5-0.5b", "smollm2-135m");

    public static SynthShape of(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "llama-3.2-1b" -> llama32();
            case "qwen2.5-0.5b" -> qwen25();
            case "smollm2-135m" -> smollm2();
            default -> throw new IllegalArgumentException("unknown shape '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    public int headDim() {
        return embedding / heads;
    }

    /** The same model cut down (for tests): fewer layers, a narrower width (heads shrink with it), a smaller vocabulary. */
    public SynthShape scaled(Integer layers, Integer embedding, Integer vocabulary) {
        int l = layers != null ? layers : this.layers;
        int e = embedding != null ? embedding : this.embedding;
        int h = Math.max(1, e / headDim());
        int kv = Math.max(1, h * headsKv / heads);
        while (h % kv != 0) kv--;
        int ff = embedding != null ? Math.max(32, (int) ((long) feedForward * e / this.embedding) / 32 * 32) : feedForward;
        int v = vocabulary != null ? vocabulary : this.vocabulary;
        if (e % headDim() != 0 || e % 32 != 0) throw new IllegalArgumentException("--embd must be a multiple of 32 and of the head size " + headDim());
        // Specials keep their order and their place at the start or the end of the smaller vocabulary.
        int move = specials.getFirst().id() > this.vocabulary / 2 ? v - this.vocabulary : 0;
        List<Special> moved = new ArrayList<>();
        for (Special s : specials) moved.add(new Special(s.id() + move, s.text()));
        int pad = padFrom < 0 ? -1 : padFrom + move;
        if (moved.stream().anyMatch(s -> s.id() < 0 || s.id() >= v) || v < 256 + specials.size() + 64) {
            throw new IllegalArgumentException("--vocab " + v + " is too small for " + specials.size() + " special tokens and the 256 bytes");
        }
        return new SynthShape(name, architecture, e, l, h, kv, ff, v, ropeTheta, rmsEps, context, qkvBias, llama3Rope,
                pre, moved, pad, bos + move, eos + move, eot + move, addBos, chatTemplate);
    }

    private static SynthShape llama32() {
        List<Special> s = new ArrayList<>();
        String[] named = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"};
        for (int i = 0; i < named.length; i++) s.add(new Special(128000 + i, named[i]));
        for (int id = 128000 + named.length; id < 128256; id++) {
            s.add(new Special(id, "<|reserved_special_token_" + (id - 128000 - named.length + 3) + "|>"));
        }
        String template = """
                {{- bos_token }}
                {%- for message in messages %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
                {%- endfor %}
                {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
                {%- endif %}
                """;
        return new SynthShape("llama-3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, 500000f, 1e-5f, 131072,
                false, true, "llama-bpe", s, -1, 128000, 128009, 128009, true, template);
    }

    private static SynthShape qwen25() {
        List<Special> s = new ArrayList<>();
        String[] named = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
                "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"};
        for (int i = 0; i < named.length; i++) s.add(new Special(151643 + i, named[i]));
        return new SynthShape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, 1000000f, 1e-6f, 32768,
                true, false, "qwen2", s, 151643 + named.length, 151643, 151645, 151645, false, CHATML);
    }

    private static SynthShape smollm2() {
        List<Special> s = new ArrayList<>();
        String[] named = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>",
                "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>",
                "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>"};
        for (int i = 0; i < named.length; i++) s.add(new Special(i, named[i]));
        return new SynthShape("smollm2-135m", "llama", 576, 30, 9, 3, 1536, 49152, 100000f, 1e-5f, 8192,
                false, false, "smollm", s, -1, 1, 2, 2, false, CHATML);
    }

    private static final String CHATML = """
            {%- for message in messages %}
            {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\\n' }}
            {%- endif %}
            """;
}
