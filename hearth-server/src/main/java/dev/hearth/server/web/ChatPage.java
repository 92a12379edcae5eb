package dev.hearth.server.web;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Properties;

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
                .replace("{{marked}}", webjarVersion("org.webjars.npm", "marked"))
                .replace("{{dompurify}}", webjarVersion("org.webjars.npm", "dompurify"));
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

    /** The version of a WebJar on the classpath, from its Maven metadata (its files live under that version). */
    public static String webjarVersion(String group, String artifact) {
        Properties p = new Properties();
        try (InputStream in = open("/META-INF/maven/" + group + "/" + artifact + "/pom.properties",
                "the " + artifact + " WebJar is missing from the classpath")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static String resource(String name) {
        try (InputStream in = open(name, name + " is missing from the classpath")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String name, String whyMissing) {
        InputStream in = ChatPage.class.getResourceAsStream(name);
        if (in == null) throw new IllegalStateException(whyMissing);
        return in;
    }
}
