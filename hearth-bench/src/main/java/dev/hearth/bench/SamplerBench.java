package dev.hearth.bench;

import dev.hearth.engine.sampling.LogprobMode;
import dev.hearth.engine.sampling.Sampler;
import dev.hearth.engine.sampling.SamplingParams;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cost of choosing one token from a full vocabulary of logits, per sampler configuration. The logits are
 * Gaussian (sigma 2.5) with a few sharp peaks, roughly the shape of a real model's output.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class SamplerBench {
    @Param({"32000", "151936"})
    int vocabulary;

    float[] logits;
    Sampler greedy, llamaCppDefaults, topPOnly, fullVocabulary, typical, defaultsWithLogprobs;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(42);
        logits = new float[vocabulary];
        for (int i = 0; i < vocabulary; i++) logits[i] = (float) (rnd.nextGaussian() * 2.5);
        for (int i = 0; i < 8; i++) logits[rnd.nextInt(vocabulary)] = 14 + i; // a handful of likely tokens
        greedy = sampler(SamplingParams.greedy());
        llamaCppDefaults = sampler(SamplingParams.builder().seed(1).repeatPenalty(1.1).build());
        topPOnly = sampler(SamplingParams.builder().seed(2).topK(0).minP(0).topP(0.95).build());
        fullVocabulary = sampler(SamplingParams.builder().neutral().seed(3).build());
        typical = sampler(SamplingParams.builder().seed(4).topK(0).minP(0).topP(1).typicalP(0.95).build());
        defaultsWithLogprobs = sampler(SamplingParams.builder().seed(5).logprobs(true).topLogprobs(5)
                .logprobMode(LogprobMode.MODEL).build());
    }

    private Sampler sampler(SamplingParams p) {
        Sampler s = new Sampler(p, vocabulary);
        for (int i = 0; i < 64; i++) s.accept(i * 31 % vocabulary);
        return s;
    }

    @Benchmark public int greedy() { return greedy.sample(logits); }
    @Benchmark public int llamaCppDefaults() { return llamaCppDefaults.sample(logits); }
    @Benchmark public int topPOnly() { return topPOnly.sample(logits); }
    @Benchmark public int fullVocabulary() { return fullVocabulary.sample(logits); }
    @Benchmark public int typical() { return typical.sample(logits); }
    @Benchmark public int defaultsWithLogprobs() { return defaultsWithLogprobs.sample(logits); }
}
