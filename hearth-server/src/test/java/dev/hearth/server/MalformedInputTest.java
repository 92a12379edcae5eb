package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.HandlerType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Every POST route, fed malformed bodies: always a 4xx in the route's dialect, never a 500, nothing generated. */
class MalformedInputTest extends ServerTestBase {
    static final List<String> BODIES = List.of("", "null", "[]", "\"text\"", "{", "{\"a\":}", "12",
            "{\"messages\":5}", "{\"messages\":[5]}", "{\"messages\":[{\"role\":5}]}", "{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}",
            "{\"prompt\":{}}", "{\"prompt\":[]}", "{\"prompt\":[[]]}", "{\"prompt\":[-1]}", "{\"inputs\":[]}", "{\"inputs\":\"x\",\"parameters\":[]}",
            "{\"model\":5}", "{\"options\":5}", "{\"tokens\":\"a\"}", "{\"tokens\":[\"a\"]}", "{\"content\":[]}",
            "{\"stream\":\"yes\",\"prompt\":\"x\",\"inputs\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"tiny-llama.Q8_0\"}",
            "{\"prompt\":\"x\",\"inputs\":\"x\",\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"seed\":1.5,\"options\":{\"seed\":\"s\"},\"parameters\":{\"seed\":\"s\"}}",
            "{\"prompt\":\"x\",\"inputs\":\"x\",\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":{},\"options\":{\"stop\":5},\"parameters\":{\"stop\":5}}",
            "{\"prompt\":\"x\",\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logit_bias\":[1],\"stream_options\":5,\"chat_template_kwargs\":3}",
            "{\"prompt\":\"x\",\"inputs\":\"x\",\"model\":\"tiny-llama.Q8_0\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":1e400,\"options\":{\"temperature\":-3},\"parameters\":{\"temperature\":-3}}");

    @Test
    void neverA500() throws Exception {
        int checked = 0;
        for (Routes.Route route : server.routes().table()) {
            if (route.method() != HandlerType.POST) continue;
            Dialect dialect = Dialect.of("POST", route.path());
            for (String body : BODIES) {
                Reply r = post(route.path(), body);
                String what = route.path() + " <- " + body + " -> " + r.status() + " " + r.body();
                if (r.status() == 200) continue; // a body that happens to be valid for this route
                assertTrue(r.status() >= 400 && r.status() < 500, what);
                JsonNode e = r.json();
                switch (dialect) {
                    case OPENAI -> assertTrue(e.path("error").path("message").isTextual(), what);
                    case OLLAMA -> assertTrue(e.path("error").isTextual(), what);
                    case TGI -> assertEquals("validation", e.path("error_type").asText(), what);
                }
                checked++;
            }
        }
        assertTrue(checked > 200, "checked " + checked);
    }
}
