package dev.hearth.server.web;

import dev.hearth.server.WebJars;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The built-in chat page: {@code web/index.html} from the classpath, served at {@code /} to browsers. Its scripts,
 * styles and vendored libraries are served as static files under {@link #ASSETS}; Markdown and sanitizing come
 * from WebJars under {@code /webjars}, whose versions are filled into the page's import map here, so the page
 * works offline and needs no build step.
 */
public final class ChatPage {
    /** Where {@code src/main/resources/web} is served. */
    public static final String ASSETS = "/ui";
    /** The classpath folder of the page's files. */
    public static final String RESOURCES = "/web";

    private final String html;

    public ChatPage() {
        html = resource(RESOURCES + "/index.html")
                .replace("{{marked}}", WebJars.version("org.webjars.npm", "marked"))
                .replace("{{dompurify}}", WebJars.version("org.webjars.npm", "dompurify"));
    }

    /**
     * Whether the client asked for HTML (a browser navigating to the page): Ollama's clients probe {@code GET /}
     * without it and get Ollama's text.
     */
    public static boolean wanted(Context ctx) {
        String accept = ctx.header("Accept");
        return accept != null && accept.toLowerCase(Locale.ROOT).contains("text/html");
    }

    public void serve(Context ctx) {
        ctx.header("Cache-Control", "no-cache");
        ctx.header("Vary", "Accept");
        ctx.html(html);
    }

    private static String resource(String name) {
        try (InputStream in = ChatPage.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException(name + " is missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
