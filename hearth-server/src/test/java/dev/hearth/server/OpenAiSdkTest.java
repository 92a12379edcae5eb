package dev.hearth.server;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.hearth.engine.generate.OverloadedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The official OpenAI Java SDK against the server: chat, streaming with usage, completions, models, errors. */
class OpenAiSdkTest extends ServerTestBase {
    static final String MODEL = "tiny-llama.Q8_0";
    OpenAIClient client;

    @Override
    ServerConfig config() {
        return ServerConfig.defaults().withApiKeys(Set.of("sdk-key"));
    }

    OpenAIClient client(String key) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey(key)
                .maxRetries(0).build();
    }

    @AfterEach
    void closeClient() {
        if (client != null) client.close();
    }

    ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model(MODEL).addSystemMessage("Be brief.").addUserMessage("Hi");
    }

    @Test
    void chatCompletion() {
        client = client("sdk-key");
        ChatCompletion c = client.chat().completions().create(chat().maxCompletionTokens(5).temperature(0.0).seed(3).build());
        assertEquals("Hello", c.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().getFirst().finishReason());
        assertEquals(5, c.usage().orElseThrow().completionTokens());
        assertEquals(MODEL, c.model());
        assertEquals(5, fake.requests.getFirst().maxTokens());
        assertEquals(0.0, fake.requests.getFirst().sampling().temperature());
    }

    @Test
    void streamingChatWithUsage() {
        client = client("sdk-key");
        StringBuilder text = new StringBuilder();
        AtomicReference<ChatCompletionChunk> usage = new AtomicReference<>();
        List<ChatCompletionChunk.Choice.FinishReason> finishes = new java.util.ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(
                chat().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                if (chunk.choices().isEmpty()) usage.set(chunk);
                for (var ch : chunk.choices()) {
                    ch.delta().content().ifPresent(text::append);
                    ch.finishReason().ifPresent(finishes::add);
                }
            });
        }
        assertEquals("Hello world", text.toString());
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.STOP), finishes);
        assertEquals(11, usage.get().usage().orElseThrow().completionTokens());
    }

    @Test
    void anEngineFailureMidStreamSurfacesAsAnError() {
        client = client("sdk-key");
        fake.failAfterTokens = 2;
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(chat().build())) {
            OpenAIServiceException e = assertThrows(OpenAIServiceException.class, () -> s.stream().forEach(c -> { }));
            assertTrue(e.getMessage().contains("kernel exploded"), e.getMessage());
        }
    }

    @Test
    void legacyCompletionsAndModels() {
        client = client("sdk-key");
        Completion c = client.completions().create(CompletionCreateParams.builder().model(MODEL).prompt("Once").maxTokens(2).build());
        assertEquals("He", c.choices().getFirst().text());
        List<Model> models = client.models().list().data();
        assertEquals(MODEL, models.getFirst().id());
        assertEquals(MODEL, client.models().retrieve(MODEL).id());
    }

    @Test
    void errorsMapToTheSdkExceptions() {
        client = client("sdk-key");
        BadRequestException bad = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(chat().topP(3.0).build()));
        assertEquals("top_p", bad.param().orElseThrow());
        assertEquals("invalid_request_error", bad.type().orElseThrow());

        NotFoundException nf = assertThrows(NotFoundException.class,
                () -> client.chat().completions().create(chat().model("gpt-4o").build()));
        assertEquals("model_not_found", nf.code().orElseThrow());

        BadRequestException ctx = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("z".repeat(400)).build()));
        assertEquals("context_length_exceeded", ctx.code().orElseThrow());

        fake.submitFailure = new OverloadedException("busy", 1);
        RateLimitException rl = assertThrows(RateLimitException.class, () -> client.chat().completions().create(chat().build()));
        assertEquals("1", rl.headers().values("Retry-After").getFirst());
        fake.submitFailure = null;

        OpenAIClient wrong = client("nope");
        try {
            assertThrows(UnauthorizedException.class, () -> wrong.chat().completions().create(chat().build()));
            assertEquals(MODEL, wrong.models().list().data().getFirst().id(), "/v1/models is public");
        } finally {
            wrong.close();
        }
    }
}
