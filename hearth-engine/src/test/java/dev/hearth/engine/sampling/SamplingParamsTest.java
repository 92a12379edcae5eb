package dev.hearth.engine.sampling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplingParamsTest {
    @Test
    void defaultsAreLlamaCppServerDefaults() {
        SamplingParams p = SamplingParams.defaults();
        assertEquals(0.8, p.temperature());
        assertEquals(40, p.topK());
        assertEquals(0.95, p.topP());
        assertEquals(0.05, p.minP());
        assertEquals(1.0, p.typicalP());
        assertEquals(1.0, p.repeatPenalty());
        assertEquals(64, p.repeatLastN());
        assertEquals(0.0, p.presencePenalty());
        assertEquals(0.0, p.frequencyPenalty());
        assertTrue(p.seed().isEmpty());
        assertTrue(p.logitBias().isEmpty());
        assertFalse(p.wantsLogprobs());
        assertEquals(LogprobMode.MODEL, p.logprobMode());
        assertTrue(SamplingParams.greedy().isGreedy());
    }

    static Stream<Arguments> outOfRange() {
        return Stream.of(
                bad("temperature", b -> b.temperature(-0.1)),
                bad("temperature", b -> b.temperature(Double.NaN)),
                bad("temperature", b -> b.temperature(Double.POSITIVE_INFINITY)),
                bad("top_p", b -> b.topP(1.01)),
                bad("top_p", b -> b.topP(-0.5)),
                bad("top_p", b -> b.topP(Double.NaN)),
                bad("min_p", b -> b.minP(2)),
                bad("typical_p", b -> b.typicalP(-1)),
                bad("min_keep", b -> b.minKeep(-1)),
                bad("repeat_penalty", b -> b.repeatPenalty(0)),
                bad("repeat_penalty", b -> b.repeatPenalty(-1.1)),
                bad("repeat_last_n", b -> b.repeatLastN(-2)),
                bad("presence_penalty", b -> b.presencePenalty(2.5)),
                bad("frequency_penalty", b -> b.frequencyPenalty(-3)),
                bad("frequency_penalty", b -> b.frequencyPenalty(Double.NaN)),
                bad("logit_bias", b -> b.logitBias(5, Double.NaN)),
                bad("logit_bias", b -> b.logitBias(5, Double.POSITIVE_INFINITY)),
                bad("logit_bias", b -> b.logitBias(-1, 1.0)),
                bad("top_logprobs", b -> b.topLogprobs(-1)),
                bad("top_logprobs", b -> b.topLogprobs(SamplingParams.MAX_TOP_LOGPROBS + 1)),
                bad("stop_token_ids", b -> b.stopTokenIds(Set.of(-4))),
                bad("grammar_trigger", b -> b.grammarTrigger("<tool_call>")));
    }

    private static Arguments bad(String parameter, UnaryOperator<SamplingParams.Builder> change) {
        return Arguments.of(parameter, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfRange")
    void outOfRangeValuesNameTheParameter(String parameter, UnaryOperator<SamplingParams.Builder> change) {
        SamplingParameterException e = assertThrows(SamplingParameterException.class,
                () -> change.apply(SamplingParams.builder()).build());
        assertEquals(parameter, e.parameter());
        assertTrue(e.getMessage().startsWith(parameter + ": "), e.getMessage());
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplingParams p = SamplingParams.builder().temperature(0).topK(-1).topP(0).minP(1).typicalP(0)
                .repeatLastN(-1).presencePenalty(-2).frequencyPenalty(2).logitBias(3, Double.NEGATIVE_INFINITY)
                .topLogprobs(SamplingParams.MAX_TOP_LOGPROBS).build();
        assertEquals(Double.NEGATIVE_INFINITY, p.logitBias().get(3));
        assertTrue(p.wantsLogprobs());
    }

    @Test
    void emptyStopStringsAreDroppedAndCollectionsAreImmutableCopies() {
        Map<Integer, Double> bias = new HashMap<>(Map.of(1, 2.0));
        SamplingParams p = SamplingParams.builder().stop("", "END", "").logitBias(bias).build();
        bias.put(2, 3.0);
        assertEquals(List.of("END"), p.stop());
        assertEquals(Map.of(1, 2.0), p.logitBias());
        assertThrows(UnsupportedOperationException.class, () -> p.stop().add("x"));
        assertEquals(p, p.toBuilder().build());
        assertThrows(SamplingParameterException.class,
                () -> SamplingParams.builder().stop(java.util.Arrays.asList("a", null)).build());
    }
}
