package dev.hearth.engine.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The public API beyond Jinja2 fidelity (which ChatTemplateGoldenTest covers). */
class ChatTemplateTest {

    @Test
    void strftimeNowReadsTheInjectedClockInItsZone() {
        ChatTemplate t = ChatTemplate.compile("{{ strftime_now('%d %b %Y %H:%M') }}");
        Instant instant = Instant.parse("2025-03-01T23:30:00Z");
        assertEquals("01 Mar 2025 23:30", t.withClock(Clock.fixed(instant, ZoneOffset.UTC)).render(Map.of()));
        assertEquals("02 Mar 2025 08:30", t.withClock(Clock.fixed(instant, ZoneId.of("Asia/Tokyo"))).render(Map.of()));
    }

    @Test
    void chatContextFollowsTransformers() {
        Map<String, Object> ctx = ChatTemplate.chatContext(List.of(Map.of("role", "user", "content", "hi")), null,
                true, "<s>", "</s>", Map.of("enable_thinking", false, "bos_token", "<bos>"));
        ChatTemplate t = ChatTemplate.compile(
                "{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ bos_token }}{{ eos_token }}|{{ enable_thinking }}|{{ messages[0].content }}");
        assertEquals("True|True|True|<bos></s>|False|hi", t.render(ctx));
    }

    @Test
    void plainJavaValuesBecomePythonValues() {
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("i", 3);
        ctx.put("f", 0.5f);
        ctx.put("arr", new Object[] {1, "a", null, true});
        ctx.put("nested", Map.of("k", List.of(2L, 2.0)));
        String out = ChatTemplate.compile("{{ i / 2 }} {{ i // 2 }} {{ f }} {{ arr }} {{ nested }} {{ i is integer }}").render(ctx);
        assertEquals("1.5 1 0.5 [1, 'a', None, True] {'k': [2, 2.0]} True", out);
    }

    @Test
    void callerValuesAreNotMutated() {
        List<Object> messages = new ArrayList<>(List.of(new HashMap<>(Map.of("role", "user", "content", "x"))));
        Map<String, Object> ctx = new HashMap<>(Map.of("messages", messages));
        ChatTemplate.compile("{% set messages = messages[1:] %}{{ messages | length }}").render(ctx);
        assertEquals(1, messages.size());
    }

    @Test
    void compileCachesBySource() {
        String source = "{{ 'cached' }}";
        assertSame(ChatTemplate.compile(source).source(), ChatTemplate.compile(source).source());
        assertEquals("cached", ChatTemplate.compile(source).render(Map.of()));
    }

    @Test
    void syntaxErrorsNameLineAndColumn() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> ChatTemplate.compile("line one\n{% if x %}\n  {{ 1 + }}\n{% endif %}"));
        assertEquals(TemplateException.Kind.SYNTAX, e.kind());
        assertEquals(3, e.line());
        assertEquals("unexpected 'end of print statement' (line 3, column 10)", e.getMessage());
    }

    @Test
    void raiseExceptionCarriesTheTemplateMessageAndLine() {
        ChatTemplate t = ChatTemplate.compile("a\n{% if messages | length > 1 %}\n{{ raise_exception('roles must alternate') }}\n{% endif %}");
        TemplateException e = assertThrows(TemplateException.class,
                () -> t.render(Map.of("messages", List.of(1, 2))));
        assertEquals(TemplateException.Kind.RAISED, e.kind());
        assertEquals("roles must alternate", e.getMessage());
        assertEquals(3, e.line());
    }

    @Test
    void undefinedAttributeAccessFailsLikeJinja() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> ChatTemplate.compile("{{ message.content }}").render(Map.of()));
        assertEquals(TemplateException.Kind.UNDEFINED, e.kind());
        assertEquals("'message' is undefined", e.getMessage());
        assertEquals("", ChatTemplate.compile("{{ message }}").render(Map.of()));
    }
}
