package dev.hearth.server;

import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.generate.OverloadedException;
import dev.hearth.engine.model.KvCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chat page in headless Chromium against a real server: over the scripted {@link FakeGenerator} for
 * deterministic replies (Markdown, scripts, errors), and once over the real engine on a fixture model. Each test
 * has its own server, so its own origin and its own localStorage. Screenshots go to target/screenshots.
 */
class ChatPageBrowserTest extends ServerTestBase {
    @TempDir
    static Path profile;
    static Browser browser;

    @BeforeAll
    static void launch() {
        Browser.assumeInstalled();
        browser = new Browser(profile);
    }

    @AfterAll
    static void quit() {
        if (browser != null) browser.close();
    }

    @BeforeEach
    void plainWindow() {
        browser.size(1280, 860);
        browser.darkTheme(false);
        browser.scriptErrors(); // only this test's count
    }

    @AfterEach
    void noScriptErrors() {
        if (browser != null) assertEquals(List.of(), browser.scriptErrors(), "JavaScript errors on the page");
    }

    private String page() {
        return "http://127.0.0.1:" + server.port() + "/";
    }

    private void send(String text) {
        WebElement prompt = browser.find("#prompt");
        prompt.sendKeys(text);
        prompt.sendKeys(Keys.ENTER);
    }

    /** Waits until the page shows n finished replies; returns the last. */
    private WebElement awaitReplies(int n) {
        return browser.waitFor(n + " finished replies", d -> {
            List<WebElement> done = d.findElements(By.cssSelector(".msg.assistant .stats"));
            return done.size() == n && d.findElements(By.cssSelector(".msg.streaming")).isEmpty()
                    ? d.findElements(By.cssSelector(".msg.assistant")).getLast() : null;
        });
    }

    private String errorText() {
        browser.waitForVisible("#error");
        return browser.find("#error").getText();
    }

    @Test
    void streamsAReplyFromTheRealEngine() throws Exception {
        Path fixtures = Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures")).toAbsolutePath().normalize();
        Path model = fixtures.resolve("models/llama-spm-q8_0.gguf");
        if (!Files.isRegularFile(model)) {
            if (System.getenv("CI") != null) fail("fixture model missing: " + model);
            Assumptions.abort("fixture model missing: " + model);
        }
        try (HearthServer real = new HearthServer(ServerConfig.defaults(), model,
                (file, settings) -> LocalGenerator.open(file, new LocalGenerator.Options(256, KvCache.Type.F16, 4)))) {
            real.start("127.0.0.1", 0).load();
            browser.open("http://127.0.0.1:" + real.port() + "/");
            browser.waitFor("the model list", d -> d.findElement(By.id("model")).getDomProperty("value").equals(real.modelId()));

            browser.find("#open-settings").click();
            WebElement temperature = browser.find("#settings [name=temperature]");
            browser.waitFor("the server's defaults as placeholders", d -> !temperature.getDomAttribute("placeholder").isEmpty() ? true : null);
            assertEquals(0.8, Double.parseDouble(temperature.getDomAttribute("placeholder")), 1e-6, "from GET /props");
            browser.find("#settings [name=max_tokens]").sendKeys("12");
            browser.find("#settings-save").click();

            send("Hello");
            WebElement reply = awaitReplies(1);
            assertFalse(reply.findElement(By.className("content")).getText().isBlank(), "the model's text is shown");
            String stats = reply.findElement(By.className("stats")).getText();
            Matcher m = Pattern.compile("(\\d+) tokens · [\\d.]+ tokens/s · first token [\\d.]+ s").matcher(stats);
            assertTrue(m.find(), stats);
            int tokens = Integer.parseInt(m.group(1));
            assertTrue(tokens >= 1 && tokens <= 12, "max tokens from the settings was sent: " + stats);
            browser.screenshot("chat-real-model");
        }
    }

    @Test
    void repliesStreamIn() throws Exception {
        fake.reply = "one two three four five six seven eight nine ten";
        fake.tokenDelayMillis = 25;
        browser.open(page());
        // every distinct text the reply shows while it streams
        browser.js("""
                window.__seen = new Set();
                new MutationObserver(() => {
                  const v = document.querySelector('.msg.assistant.streaming .content');
                  if (v) window.__seen.add(v.textContent);
                }).observe(document.getElementById('messages'), {subtree: true, childList: true, characterData: true});""");
        send("Count");
        awaitReplies(1);
        long partial = (Long) browser.js("return [...window.__seen].filter(t => t.length > 0 && t.length < 48).length");
        assertTrue(partial >= 2, "the reply was shown while it was generated: " + browser.js("return [...window.__seen]"));
        assertEquals(fake.reply, browser.find(".msg.assistant .content").getText());
        assertTrue(fake.requests.getFirst().sampling() != null);
    }

    @Test
    void rendersMarkdownAndHighlightsCode() throws Exception {
        fake.reply = """
                ## Plan

                - first **step**
                - second step

                | name | value |
                |------|-------|
                | k    | 4     |

                See [the docs](https://example.com/docs).

                ```java
                public static int answer() {
                    return 42; // the answer
                }
                ```
                """;
        browser.open(page());
        send("Show me Markdown");
        WebElement reply = awaitReplies(1);
        assertEquals("Plan", reply.findElement(By.cssSelector(".content h2")).getText());
        assertEquals(2, reply.findElements(By.cssSelector(".content ul > li")).size());
        assertEquals("step", reply.findElement(By.cssSelector(".content li strong")).getText());
        assertEquals("4", reply.findElement(By.cssSelector(".content table td:last-child")).getText());
        WebElement link = reply.findElement(By.cssSelector(".content a"));
        assertEquals("https://example.com/docs", link.getDomAttribute("href"));
        assertEquals("_blank", link.getDomAttribute("target"));
        WebElement code = reply.findElement(By.cssSelector(".content pre > code"));
        assertTrue(code.getDomAttribute("class").contains("hljs"), code.getDomAttribute("class"));
        assertFalse(code.findElements(By.cssSelector(".hljs-keyword")).isEmpty(), "keywords are highlighted");
        assertTrue(code.getText().contains("return 42;"));
        WebElement copy = reply.findElement(By.cssSelector(".content pre button.copy"));
        browser.driver.executeCdpCommand("Browser.grantPermissions", java.util.Map.of("permissions",
                List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
        copy.click();
        browser.waitFor("the copy button confirms", d -> copy.getText().equals("Copied") ? true : null);
        assertEquals(code.getText().strip(), ((String) browser.js("return navigator.clipboard.readText()")).strip());
        browser.screenshot("markdown-light");
        browser.darkTheme(true);
        browser.screenshot("markdown-dark");
    }

    @Test
    void scriptsInARepliesNeverRun() throws Exception {
        fake.reply = "Look: <script>window.__pwned = 'script'</script><img src=x onerror=\"window.__pwned = 'img'\">"
                + "<a href=\"javascript:window.__pwned='link'\">click</a> **bold** <iframe src=\"/\"></iframe>";
        browser.open(page());
        send("Say something nasty");
        WebElement reply = awaitReplies(1);
        reply.findElement(By.linkText("click")).click();
        assertNull(browser.js("return window.__pwned === undefined ? null : window.__pwned"));
        assertEquals(0, reply.findElements(By.cssSelector("script, iframe, [onerror]")).size());
        assertEquals("bold", reply.findElement(By.cssSelector(".content strong")).getText());
        String href = reply.findElement(By.linkText("click")).getDomAttribute("href");
        assertTrue(href == null || !href.startsWith("javascript"), href);
    }

    @Test
    void reasoningIsShownCollapsed() throws Exception {
        fake.reply = "<think>The user greets; answer briefly.</think>Hello there.";
        browser.open(page());
        send("Hi");
        WebElement reply = awaitReplies(1);
        WebElement details = reply.findElement(By.cssSelector("details.reasoning"));
        assertNull(details.getDomAttribute("open"), "collapsed");
        assertEquals("Hello there.", reply.findElement(By.className("content")).getText());
        details.findElement(By.tagName("summary")).click();
        assertEquals("The user greets; answer briefly.", details.findElement(By.className("reasoning-text")).getText());
    }

    @Test
    void stopAbortsTheRequestAndTheServerCancels() throws Exception {
        fake.reply = "x".repeat(200);
        fake.tokenDelayMillis = 30;
        browser.open(page());
        send("Write a lot");
        browser.waitFor("some text streamed", d -> !d.findElements(By.cssSelector(".msg.streaming .content")).isEmpty()
                && !d.findElement(By.cssSelector(".msg.streaming .content")).getText().isEmpty() ? true : null);
        browser.find("#stop").click();
        await("the server cancelled the generation", () -> fake.submitted.getFirst().wasCancelled());
        WebElement reply = awaitReplies(1);
        assertTrue(reply.findElement(By.className("stats")).getText().contains("stopped"));
        String kept = reply.findElement(By.className("content")).getText();
        assertTrue(!kept.isEmpty() && kept.length() < 200, "the partial reply is kept: " + kept.length());
        assertTrue(browser.find("#send").isDisplayed());
        browser.screenshot("stopped");

        // switching to a new chat while a reply streams stops it and keeps the page on the new chat
        send("Write more");
        browser.waitFor("the second reply streams", d -> !d.findElements(By.cssSelector(".msg.streaming")).isEmpty() ? true : null);
        browser.find("#new-chat").click();
        await("the server cancelled the second generation", () -> fake.submitted.size() == 2 && fake.submitted.get(1).wasCancelled());
        browser.waitFor("the new chat stays empty", d -> d.findElements(By.cssSelector(".msg")).isEmpty()
                && !d.findElements(By.cssSelector("#messages .empty")).isEmpty() ? true : null);
        assertEquals(1, browser.all("#conversations li").size());
    }

    @Test
    void conversationsSurviveAReloadAndCanBeRenamedEditedAndRegenerated() throws Exception {
        fake.reply = "First answer";
        browser.open(page());
        send("What is a GGUF file?");
        awaitReplies(1);
        browser.driver.navigate().refresh();
        browser.open(page());
        WebElement item = browser.find("#conversations li .title");
        assertEquals("What is a GGUF file?", item.getText());
        assertEquals("What is a GGUF file?", browser.find(".msg.user .content").getText());
        assertEquals("First answer", browser.find(".msg.assistant .content").getText());

        browser.find("#conversations li .rename").click();
        WebElement title = browser.find("#conversations li .rename-input");
        title.sendKeys(Keys.chord(Keys.CONTROL, "a"), "GGUF questions", Keys.ENTER);
        assertEquals("GGUF questions", browser.find("#conversations li .title").getText());

        fake.reply = "Second answer";
        browser.find(".msg.user .actions .edit").click();
        WebElement area = browser.find(".edit-area");
        area.clear();
        area.sendKeys("What is a safetensors file?");
        browser.find(".save-edit").click();
        awaitReplies(1);
        assertEquals("What is a safetensors file?", browser.find(".msg.user .content").getText());
        assertEquals("Second answer", browser.find(".msg.assistant .content").getText());

        fake.reply = "Third answer";
        browser.find(".msg.assistant .actions .regenerate").click();
        browser.waitFor("the regenerated reply", d -> d.findElement(By.cssSelector(".msg.assistant .content")).getText()
                .equals("Third answer") ? true : null);
        assertEquals(3, fake.requests.size());
        assertEquals(1, browser.all(".msg.user").size());

        browser.find("#new-chat").click();
        send("Another topic");
        awaitReplies(1);
        assertEquals(2, browser.all("#conversations li").size());
        browser.find("#search").sendKeys("safetensors");
        browser.waitFor("search narrows the list", d -> d.findElements(By.cssSelector("#conversations li")).size() == 1 ? true : null);
        assertEquals("GGUF questions", browser.find("#conversations li .title").getText());
    }

    @Test
    void conversationsExportAndImportAsJson() throws Exception {
        fake.reply = "Exported answer";
        browser.open(page());
        send("Keep this");
        awaitReplies(1);
        // the export is a download: keep the Blob the page makes and read it back
        browser.js("""
                window.__exports = [];
                const make = URL.createObjectURL;
                URL.createObjectURL = blob => { window.__exports.push(blob); return make(blob); };""");
        browser.find("#export").click();
        String json = browser.waitFor("the export", d -> (String) d.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                window.__exports.length ? window.__exports[0].text().then(done) : done(null);"""));
        var exported = parse(json);
        assertEquals("Keep this", exported.at("/conversations/0/title").asText());
        assertEquals("Exported answer", exported.at("/conversations/0/messages/1/content").asText());

        Path file = Files.writeString(tmp.resolve("conversations.json"), json);
        Path dir = Files.createDirectories(tmp.resolve("other"));
        try (HearthServer other = new HearthServer(ServerConfig.defaults(), tinyModel(dir), (f, settings) -> fake)) {
            other.start("127.0.0.1", 0).load();
            browser.open("http://127.0.0.1:" + other.port() + "/"); // another origin: its own, empty storage
            assertEquals(0, browser.all("#conversations li").size());
            browser.find("#import").sendKeys(file.toAbsolutePath().toString());
            browser.waitFor("the imported conversation", d -> d.findElements(By.cssSelector("#conversations li")).size() == 1 ? true : null);
            browser.find("#conversations li .title").click();
            assertEquals("Exported answer", browser.find(".msg.assistant .content").getText());
        }
    }

    @Test
    void aBusyServerSaysWhenToRetry() throws Exception {
        fake.submitFailure = new OverloadedException("the server is busy: 4 requests are waiting", 7);
        browser.open(page());
        send("Hello?");
        String error = errorText();
        assertTrue(error.contains("4 requests are waiting") && error.contains("7 s"), error);
        browser.screenshot("error-busy");
    }

    @Test
    void aPromptTooLongShowsTheServersMessage() throws Exception {
        browser.open(page());
        send("a".repeat(FakeGenerator.CONTEXT + 10));
        String error = errorText();
        assertTrue(error.startsWith("Too long for the model") && error.contains("shorten the prompt"), error);
    }

    @Test
    void anUnreachableServerIsSaid() throws Exception {
        browser.open(page());
        server.close();
        send("Anyone there?");
        assertTrue(errorText().contains("Cannot reach the Hearth server"));
    }

    @Test
    void phoneWidthAndKeyboard() throws Exception {
        browser.size(390, 844);
        fake.reply = "Short reply.";
        browser.open(page());
        assertFalse(browser.find("#sidebar").isDisplayed() && (Long) browser.js(
                "return Math.round(document.getElementById('sidebar').getBoundingClientRect().right)") > 0,
                "the sidebar is tucked away");
        WebElement prompt = browser.find("#prompt");
        prompt.sendKeys("line one", Keys.chord(Keys.SHIFT, Keys.ENTER), "line two", Keys.ENTER);
        awaitReplies(1);
        assertEquals("line one\nline two", browser.find(".msg.user .content").getText());
        assertEquals(1, fake.requests.size());
        browser.screenshot("phone-chat");
        browser.find("#toggle-sidebar").click();
        browser.waitFor("the sidebar slides in", d -> (Long) browser.js(
                "return Math.round(document.getElementById('sidebar').getBoundingClientRect().left)") == 0 ? true : null);
        browser.screenshot("phone-sidebar");
    }

    @Test
    void theApiKeyTypedInSettingsIsSentAsBearer() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("keyed"));
        try (HearthServer keyed = new HearthServer(ServerConfig.defaults().withApiKeys(Set.of("sekrit")), tinyModel(dir),
                (file, settings) -> fake)) {
            keyed.start("127.0.0.1", 0).load();
            browser.open("http://127.0.0.1:" + keyed.port() + "/");
            send("Hello");
            assertTrue(errorText().contains("API key"));
            assertTrue(fake.requests.isEmpty());

            browser.find("#open-settings").click();
            browser.find("#settings [name=api_key]").sendKeys("sekrit");
            browser.find("#settings-save").click();
            browser.find(".msg.user .actions .retry").click();
            awaitReplies(1);
            assertEquals(fake.reply, browser.find(".msg.assistant .content").getText());
            assertFalse(browser.find("#error").isDisplayed());
        }
    }

    /** The page's side of model pulling: the server's real catalog, and a stand-in pull route of Ollama's shape. */
    @Test
    void withoutAModelThePageOffersTheCatalogAndPulls() throws Exception {
        List<String> pulled = new CopyOnWriteArrayList<>();
        try (HearthServer empty = new HearthServer(ServerConfig.defaults(), null, GeneratorFactory.UNAVAILABLE)) {
            empty.routes().post("/api/pull", "Test", "pull", null, ctx -> {
                pulled.add(HearthServer.body(ctx));
                ctx.contentType("application/x-ndjson").result("""
                        {"status": "pulling manifest"}
                        {"status": "downloading", "total": 12500000, "completed": 6000000}
                        {"status": "downloading", "total": 12500000, "completed": 12500000}
                        {"status": "success"}
                        """);
            });
            empty.start("127.0.0.1", 0).load();
            String base = "http://127.0.0.1:" + empty.port();
            var catalog = parse(java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/hearth/catalog")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            String first = catalog.get(0).get("name").asText();
            browser.open(base + "/");
            browser.waitForVisible("#pull-panel .catalog li");
            WebElement row = browser.find("#pull-panel .catalog li");
            assertTrue(row.getText().contains(first) && row.getText().matches("(?s).*[0-9.]+ [MG]B.*"), row.getText());
            assertEquals(catalog.size(), browser.all("#pull-panel .catalog li").size());
            browser.screenshot("no-model-catalog");
            row.findElement(By.tagName("button")).click();
            browser.waitFor("the pull finished", d -> row.findElement(By.className("pull-status")).getText().equals("done") ? true : null);
            assertEquals(1, pulled.size());
            WebElement progress = row.findElement(By.tagName("progress"));
            assertEquals(progress.getDomProperty("max"), progress.getDomProperty("value"), "the last progress line is shown");
            {
                var body = parse(pulled.getFirst());
                assertEquals(first, body.get("model").asText());
                assertTrue(body.get("stream").asBoolean());
            }
            send("Hello?");
            assertTrue(errorText().startsWith("No model is loaded") && errorText().contains("pull"), errorText());
            browser.screenshot("no-model");
        }
    }
}
