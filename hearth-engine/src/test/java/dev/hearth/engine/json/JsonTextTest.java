package dev.hearth.engine.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonTextTest {

    @Test
    void parsesAndWritesBack() throws Exception {
        String text = " {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\\ny\\u00e9\\\"\"}, \"big\": 123456789012345678901234} ";
        Object v = JsonText.parse(text);
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1L, -2500.0, true, false), ((List<?>) m.get("a")).subList(0, 4));
        assertEquals("x\nyé\"", ((Map<?, ?>) m.get("b")).get("c"));
        // whole-valued doubles are written as integers (the same JSON number)
        String written = JsonText.write(v);
        assertEquals("{\"a\":[1,-2500,true,false,null],\"b\":{\"c\":\"x\\nyé\\\"\"},\"big\":123456789012345678901234}", written);
        assertEquals(written, JsonText.write(JsonText.parse(written)));
        assertEquals("[0.5," + 1e-7 + "]", JsonText.write(List.of(0.5, 1e-7)));
        assertThrows(IllegalArgumentException.class, () -> JsonText.write(List.of(new Object())));
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : List.of("{", "{\"a\" 1}", "{\"a\": 01}", "[1,]", "{'a': 1}", "{\"a\": tru}", "\"\\x\"", "{} x", "")) {
            assertThrows(JsonText.Malformed.class, () -> JsonText.parse(bad), bad);
        }
    }

    @Test
    void findsTheEndOfAValue() {
        assertEquals(12, JsonText.valueEnd("  {\"a\": \"}\"} tail", 0));
        assertEquals(-1, JsonText.valueEnd("[{\"a\": [1, 2]", 0));
        assertEquals(-2, JsonText.valueEnd(" hello", 0));
        assertEquals(-1, JsonText.valueEnd("   ", 0));
    }
}
