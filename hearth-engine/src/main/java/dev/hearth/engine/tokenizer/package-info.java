/**
 * Tokenizers read from GGUF metadata ({@code tokenizer.ggml.*}) that produce exactly the token ids and text of
 * llama.cpp b4747: {@link dev.hearth.engine.tokenizer.Tokenizer#fromGguf} gives an
 * {@link dev.hearth.engine.tokenizer.SpmTokenizer} (SentencePiece-style, {@code model = llama}) or a
 * {@link dev.hearth.engine.tokenizer.BpeTokenizer} (byte-level BPE, {@code model = gpt2}, with the pre-tokenizer
 * named by {@code tokenizer.ggml.pre}); {@link dev.hearth.engine.tokenizer.StreamDecoder} turns generated tokens
 * into text as they arrive.
 *
 * <p>Pipeline of {@code encode}: split special tokens out of the text ({@code Fragments}), then per text fragment
 * either escape spaces and merge by score ({@code SpmTokenizer}) or cut into words ({@code PreTokenizer} and its
 * {@code SplitRule}s) and merge by rank ({@code BpeTokenizer}). {@code decode}: token pieces, leading-space and
 * special-token rules ({@code Detokenizer}), then {@code SpaceCleaner} for vocabularies with clean_spaces.
 */
package dev.hearth.engine.tokenizer;
