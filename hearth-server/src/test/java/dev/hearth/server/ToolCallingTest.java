package dev.hearth.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Tool calls through the OpenAI Java SDK and Ollama's /api/chat, with the fake engine rendering real Hugging Face
 * templates and replying with a family's tool-call text.
 */
class ToolCallingTest extends ServerTestBase {
    static final String MODEL = "tiny-llama.Q8_0";
    static final String HERMES_REPLY = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"query\": \"Paris weather\", \"limit\": 3}}\n</tool_call>";
    OpenAIClient client;

    /** A real template from the engine's golden corpus. */
    static String template(String name) throws IOException {
        return Files.readString(Path.of("../hearth-engine/src/test/resources/templates/models/" + name + ".jinja"));
    }

    @BeforeEach
    void setUp() {
        fake.context = 8192;
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("none").maxRetries(0).build();
    }

    @AfterEach
    void closeClient() {
        client.close();
    }

    static FunctionDefinition function(String name, String property) {
        return FunctionDefinition.builder().name(name).description("The " + name + " function")
                .parameters(FunctionParameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of(property, Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of(property)))
                        .build())
                .build();
    }

    ChatCompletionCreateParams.Builder weatherChat() {
        return ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("Weather in Paris?")
                .addFunctionTool(function("get_weather", "location")).addFunctionTool(function("search", "query"));
    }

    record Call(String id, String name, String arguments) {}

    static List<Call> calls(ChatCompletion c) {
        List<Call> out = new ArrayList<>();
        for (ChatCompletionMessageToolCall t : c.choices().getFirst().message().toolCalls().orElse(List.of())) {
            ChatCompletionMessageFunctionToolCall f = t.asFunction();
            out.add(new Call(f.id(), f.function().name(), f.function().arguments()));
        }
        return out;
    }

    /** Streams a chat and gathers the tool-call deltas by index the way OpenAI's client libraries do. */
    record Streamed(String content, String reasoning, List<Call> calls, List<ChatCompletionChunk.Choice.FinishReason> finishes) {}

    Streamed stream(ChatCompletionCreateParams params) {
        StringBuilder content = new StringBuilder(), reasoning = new StringBuilder();
        Map<Long, String[]> calls = new LinkedHashMap<>();
        List<ChatCompletionChunk.Choice.FinishReason> finishes = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> {
                for (var ch : chunk.choices()) {
                    ch.delta().content().ifPresent(content::append);
                    JsonValue r = ch.delta()._additionalProperties().get("reasoning_content");
                    if (r != null) reasoning.append(r.asString().orElseThrow());
                    for (var t : ch.delta().toolCalls().orElse(List.of())) {
                        String[] c = calls.computeIfAbsent(t.index(), k -> new String[]{null, null, ""});
                        t.id().ifPresent(id -> c[0] = id);
                        t.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name).ifPresent(n -> c[1] = n);
                        t.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::arguments).ifPresent(a -> c[2] += a);
                    }
                    ch.finishReason().ifPresent(finishes::add);
                }
            });
        }
        List<Call> out = new ArrayList<>();
        for (String[] c : calls.values()) out.add(new Call(c[0], c[1], c[2]));
        return new Streamed(content.toString(), reasoning.toString(), out, finishes);
    }

    static List<Call> withoutIds(List<Call> calls) {
        return calls.stream().map(c -> new Call(null, c.name(), c.arguments())).toList();
    }

    @Test
    void hermesCallsRoundTripThroughTheSdkStreamedOrNot() throws IOException {
        fake.template = template("Qwen--Qwen2.5-7B-Instruct");
        fake.reply = HERMES_REPLY;
        ChatCompletion c = client.chat().completions().create(weatherChat().build());
        List<Call> calls = calls(c);
        assertEquals(List.of(new Call(null, "get_weather", "{\"location\":\"Paris\"}"),
                new Call(null, "search", "{\"query\":\"Paris weather\",\"limit\":3}")), withoutIds(calls));
        assertTrue(calls.getFirst().id().startsWith("call_") && !calls.getFirst().id().equals(calls.get(1).id()));
        assertTrue(c.choices().getFirst().message().content().isEmpty(), "content is null when the reply is calls");
        assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, c.choices().getFirst().finishReason());
        assertTrue(fake.lastPrompt.contains("<tools>") && fake.lastPrompt.contains("\"name\": \"get_weather\""), fake.lastPrompt);
        assertTrue(fake.requests.getFirst().specialTokenText());

        Streamed s = stream(weatherChat().build());
        assertEquals(withoutIds(calls), withoutIds(s.calls()));
        assertTrue(s.calls().stream().allMatch(x -> x.id() != null && x.id().startsWith("call_")));
        assertEquals("", s.content(), "no part of a call shows as content");
        assertEquals(List.of(ChatCompletionChunk.Choice.FinishReason.TOOL_CALLS), s.finishes());
    }

    @Test
    void theToolResultFollowUpRendersThroughTheTemplate() throws IOException {
        fake.template = template("Qwen--Qwen2.5-7B-Instruct");
        fake.reply = "It is 18 C in Paris.";
        ChatCompletionCreateParams params = weatherChat()
                .addMessage(ChatCompletionAssistantMessageParam.builder().addToolCall(ChatCompletionMessageFunctionToolCall.builder()
                        .id("call_1").function(ChatCompletionMessageFunctionToolCall.Function.builder()
                                .name("get_weather").arguments("{\"location\": \"Paris\"}").build()).build()).build())
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId("call_1").content("18 C").build())
                .build();
        ChatCompletion c = client.chat().completions().create(params);
        assertEquals("It is 18 C in Paris.", c.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, c.choices().getFirst().finishReason());
        String p = fake.lastPrompt;
        assertTrue(p.contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}\n</tool_call><|im_end|>"), p);
        assertTrue(p.contains("<|im_start|>user\n<tool_response>\n18 C\n</tool_response><|im_end|>\n<|im_start|>assistant\n"), p);
    }

    @Test
    void applyTemplateShowsTheSamePrompt() throws Exception {
        fake.template = template("Qwen--Qwen2.5-7B-Instruct");
        JsonNode o = post("/apply-template", """
                {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": null,
                  "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"location\\": \\"Paris\\"}"}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "18 C"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather"}}]}""").json();
        String p = o.path("prompt").asText();
        assertTrue(p.contains("{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}"), o.toString());
        assertTrue(p.contains("<tools>"), p);
    }

    @Test
    void llamaAndMistralCalls() throws IOException {
        fake.template = template("meta-llama--Llama-3.1-8B-Instruct");
        fake.reply = "{\"name\": \"get_weather\", \"parameters\": {\"location\": \"Paris\"}}";
        assertEquals(List.of(new Call(null, "get_weather", "{\"location\":\"Paris\"}")),
                withoutIds(calls(client.chat().completions().create(weatherChat().build()))));
        assertTrue(fake.lastPrompt.contains("\"name\": \"get_weather\""), fake.lastPrompt);

        fake.template = template("mistralai--Mistral-Nemo-Instruct-2407");
        fake.reply = "[TOOL_CALLS][{\"name\": \"search\", \"arguments\": {\"query\": \"x\"}, \"id\": \"a1B2c3D4e\"}]";
        ChatCompletion c = client.chat().completions().create(weatherChat().build());
        assertEquals(List.of(new Call("a1B2c3D4e", "search", "{\"query\":\"x\"}")), calls(c), "Mistral's own id is kept");
        Streamed s = stream(weatherChat().build());
        assertEquals(calls(c), s.calls());
        assertTrue(fake.lastPrompt.contains("[AVAILABLE_TOOLS]"), fake.lastPrompt);
    }

    @Test
    void toolChoiceNoneAndParallelCalls() throws IOException {
        fake.template = template("Qwen--Qwen2.5-7B-Instruct");
        fake.reply = HERMES_REPLY;
        ChatCompletion none = client.chat().completions().create(weatherChat()
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).build());
        assertEquals(HERMES_REPLY, none.choices().getFirst().message().content().orElseThrow());
        assertTrue(none.choices().getFirst().message().toolCalls().orElse(List.of()).isEmpty());
        assertTrue(fake.lastPrompt.contains("<tools>"), "tools are still shown to the model");
        assertFalse(fake.requests.getLast().specialTokenText());

        ChatCompletion single = client.chat().completions().create(weatherChat().parallelToolCalls(false).build());
        assertEquals(List.of("get_weather"), calls(single).stream().map(Call::name).toList());
        assertEquals(List.of("get_weather"), stream(weatherChat().parallelToolCalls(false).build()).calls().stream().map(Call::name).toList());

        assertEquals("<tool_call>", fake.requests.getLast().sampling().grammarTrigger(), "auto: a lazy grammar after the opening");

        // required: a grammar from the first token (the fake engine ignores it, so a reply with no call is content)
        fake.reply = "I would rather not.";
        ChatCompletion required = client.chat().completions().create(weatherChat()
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
        assertNotNull(fake.requests.getLast().sampling().grammar());
        assertNull(fake.requests.getLast().sampling().grammarTrigger());
        assertEquals("I would rather not.", required.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, required.choices().getFirst().finishReason());
    }

    @Test
    void badToolRequestsAre400s() throws Exception {
        String base = "{\"model\": \"" + MODEL + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        String tools = ", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]";
        Reply r = post("/v1/chat/completions", base + tools + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"g\"}}}");
        assertEquals(400, r.status());
        assertEquals("tool_choice", r.json().path("error").path("param").asText());
        r = post("/v1/chat/completions", base + ", \"tool_choice\": \"required\"}");
        assertEquals(400, r.status());
        r = post("/v1/chat/completions", base + tools + ", \"tool_choice\": \"sometimes\"}");
        assertEquals(400, r.status());
        r = post("/v1/chat/completions", base + ", \"tools\": [{\"type\": \"retrieval\"}]}");
        assertEquals(400, r.status());
        assertEquals("tools[0].type", r.json().path("error").path("param").asText());
        r = post("/v1/chat/completions", base.replace("]", ", {\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"arguments\": 3}}]}]") + "}");
        assertEquals(400, r.status());
        r = post("/v1/chat/completions", base + tools + ", \"reasoning_format\": \"loud\"}");
        assertEquals(400, r.status());
        assertEquals("reasoning_format", r.json().path("error").path("param").asText());
    }

    @Test
    void ollamaToolCallsWithObjectArguments() throws Exception {
        fake.template = template("Qwen--Qwen2.5-7B-Instruct");
        fake.reply = "Checking.\n" + HERMES_REPLY;
        String body = """
                {"model": "%s", "stream": %s, "messages": [{"role": "user", "content": "Weather in Paris?"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
                   "properties": {"location": {"type": "string"}}}}}]}""";
        JsonNode o = post("/api/chat", body.formatted(MODEL, false)).json();
        JsonNode msg = o.path("message");
        assertEquals("Checking.", msg.path("content").asText());
        assertEquals("get_weather", msg.path("tool_calls").path(0).path("function").path("name").asText());
        assertEquals("Paris", msg.path("tool_calls").path(0).path("function").path("arguments").path("location").asText());
        assertEquals(3, msg.path("tool_calls").path(1).path("function").path("arguments").path("limit").asInt());
        assertTrue(o.path("done").asBoolean());

        Reply streamed = post("/api/chat", body.formatted(MODEL, true));
        StringBuilder content = new StringBuilder();
        List<JsonNode> calls = new ArrayList<>();
        for (String line : streamed.body().split("\n")) {
            JsonNode m = parse(line).path("message");
            content.append(m.path("content").asText());
            m.path("tool_calls").forEach(calls::add);
        }
        assertEquals("Checking.", content.toString());
        assertEquals(List.of(msg.path("tool_calls").get(0), msg.path("tool_calls").get(1)), calls);

        // the follow-up: Ollama sends earlier arguments as an object
        fake.reply = "18 C.";
        String followUp = """
                {"model": "%s", "stream": false, "messages": [{"role": "user", "content": "Weather in Paris?"},
                 {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Paris"}}}]},
                 {"role": "tool", "content": "18 C"}]}""".formatted(MODEL);
        assertEquals("18 C.", post("/api/chat", followUp).json().path("message").path("content").asText());
        assertTrue(fake.lastPrompt.contains("{\"name\": \"get_weather\", \"arguments\": {\"location\": \"Paris\"}}"), fake.lastPrompt);

        JsonNode show = post("/api/show", "{\"model\": \"" + MODEL + "\"}").json();
        assertTrue(show.path("capabilities").toString().contains("\"tools\""), show.path("capabilities").toString());
    }
}
