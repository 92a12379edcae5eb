package dev.hearth.server;

import dev.hearth.server.web.ChatPage;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the chat page and its files are served (the page's behaviour is {@link ChatPageBrowserTest}'s). */
class ChatPageRoutesTest extends ServerTestBase {
    @Override
    ServerConfig config() {
        return ServerConfig.defaults().withApiKeys(Set.of("sekrit"));
    }

    @Test
    void browsersGetThePageOtherClientsGetOllamasText() throws Exception {
        Reply page = get("/", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        assertEquals(200, page.status());
        assertTrue(page.header("Content-Type").startsWith("text/html"), page.header("Content-Type"));
        assertTrue(page.body().contains("<script type=\"module\" src=\"/ui/app.js\">"), page.body());
        assertFalse(page.body().contains("{{"), "every placeholder is filled: " + page.body());

        for (String accept : new String[]{null, "*/*", "application/json"}) {
            Reply text = accept == null ? get("/") : get("/", "Accept", accept);
            assertEquals(200, text.status());
            assertEquals("Ollama is running", text.body(), "Accept: " + accept);
        }
    }

    /** Every file the page imports is served, without an API key, with a type a browser runs as a module. */
    @Test
    void everyImportOfThePageIsServedWithoutAKey() throws Exception {
        String html = get("/", "Accept", "text/html").body();
        Matcher m = Pattern.compile("(?:src|href)=\"(/[^\"]+)\"|\"[\\w.]+\": \"(/[^\"]+)\"").matcher(html);
        int files = 0;
        while (m.find()) {
            String path = m.group(1) != null ? m.group(1) : m.group(2);
            Reply r = get(path);
            assertEquals(200, r.status(), path + ": " + r.body());
            String type = r.header("Content-Type");
            if (path.endsWith(".js") || path.endsWith(".mjs")) {
                assertTrue(type.contains("javascript"), path + " is served as " + type);
            }
            if (path.endsWith(".css")) assertTrue(type.startsWith("text/css"), path + " is served as " + type);
            files++;
        }
        assertTrue(files >= 6, "the page's files were found in it: " + files);
        for (String module : new String[]{"app.js", "api.js", "store.js", "render.js", "pull.js"}) {
            assertEquals(200, get(ChatPage.ASSETS + "/" + module).status(), module);
        }
    }

    @Test
    void theApiStillWantsTheKey() throws Exception {
        assertEquals(401, post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").status());
        assertEquals(404, get(ChatPage.ASSETS + "/missing.js").status());
    }
}
