/**
 * The transformer forward pass: {@link dev.hearth.engine.model.Model} (a GGUF file's configuration and weights) and
 * {@link dev.hearth.engine.model.Session} (one sequence: KV cache and position) and {@link dev.hearth.engine.model.Batch}
(one forward pass over the tokens of several sessions: each weight matrix read once for all of them).
 *
 * <p>One forward pass serves every supported family; what differs between them is data: the family's conventions
 * in {@link dev.hearth.engine.model.Architecture}, the file's hyperparameters in
 * {@link dev.hearth.engine.model.ModelConfig}, and the optional tensors a file has (biases, q/k norms, post-norms,
 * sub-norms, fused projections).
 *
 * <p>The arithmetic is llama.cpp's, operation for operation, as its x86 CPU build computes it: activations quantized
 * to each weight's vec_dot type, sums in its kernels' order ({@code GgmlDots}, {@link dev.hearth.engine.model.Attention}),
 * its vectorized exp, its fp16 GELU table, glibc's float sin/cos/tanh ({@code CMath}). On the golden fixtures this
 * gives llama.cpp's logits bit for bit; any deviation, however small, can be amplified by a later rounding to
 * fp16/bf16 or an activation quantization into a visible difference.
 */
package dev.hearth.engine.model;
