package dev.hearth.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonObject;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import dev.hearth.engine.generate.LocalGenerator;
import dev.hearth.engine.gguf.GgufFile;
import dev.hearth.engine.gguf.GgufTensor;
import dev.hearth.engine.gguf.GgufWriter;
import dev.hearth.engine.model.KvCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forced tool calls through the OpenAI Java SDK, the real server and engine: a random-weight Qwen2 fixture given
 * Qwen 2.5's chat template (Hermes-style calls). Whatever the weights favour, at temperature 1 over many seeds,
 * tool_choice required yields a call whose arguments validate against the function's schema (networknt).
 */
class ToolGrammarTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Map<String, Object> WEATHER = Map.of("type", "object",
            "properties", Map.of("city", Map.of("enum", List.of("Paris", "Rome")),
                    "days", Map.of("type", "integer", "minimum", 1, "maximum", 7)),
            "required", List.of("city", "days"), "additionalProperties", false);
    static final Map<String, Object> TIME = Map.of("type", "object",
            "properties", Map.of("zone", Map.of("type", "string", "maxLength", 5)),
            "required", List.of("zone"), "additionalProperties", false);
    @TempDir
    static Path dir;
    static HearthServer server;
    static OpenAIClient client;
    static Map<String, JsonSchema> schemas;

    @BeforeAll
    static void start() throws Exception {
        Path fixture = Path.of(System.getProperty("hearth.fixtures", "../shared/fixtures"), "models", "qwen2-q8_0.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(fixture), "fixture model not found: " + fixture);
        Path model = withTemplate(fixture, Files.readString(
                Path.of("../hearth-engine/src/test/resources/templates/models/Qwen--Qwen2.5-7B-Instruct.jinja")), dir.resolve("qwen2-tools.gguf"));
        server = new HearthServer(ServerConfig.defaults(), model,
                (path, settings) -> LocalGenerator.open(path, new LocalGenerator.Options(2048, KvCache.Type.F32, 4)))
                .start("127.0.0.1", 0);
        server.load();
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("none").maxRetries(0).build();
        JsonSchemaFactory f = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        schemas = Map.of("get_weather", f.getSchema(JSON.valueToTree(WEATHER)), "get_time", f.getSchema(JSON.valueToTree(TIME)));
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    /** A copy of a GGUF file with a chat template (the fixtures carry none). */
    static Path withTemplate(Path source, String template, Path target) throws Exception {
        try (GgufFile f = GgufFile.open(source)) {
            GgufWriter w = new GgufWriter().version(f.version());
            for (String key : f.metadata().keySet()) w.put(key, f.metadataType(key), f.metadata().get(key));
            w.putString("tokenizer.chat_template", template);
            for (GgufTensor t : f.tensors().values()) w.addTensor(t.name(), t.type(), t.shape(), t.data());
            w.write(target);
        }
        return target;
    }

    static FunctionDefinition function(String name, Map<String, Object> schema) {
        FunctionParameters.Builder p = FunctionParameters.builder();
        schema.forEach((k, v) -> p.putAdditionalProperty(k, JsonValue.from(v)));
        return FunctionDefinition.builder().name(name).parameters(p.build()).build();
    }

    static ChatCompletionCreateParams.Builder chat(long seed) {
        return ChatCompletionCreateParams.builder().model("qwen2-tools").addUserMessage("Weather in Paris?")
                .addFunctionTool(function("get_weather", WEATHER)).addFunctionTool(function("get_time", TIME))
                .temperature(1.0).seed(seed).maxCompletionTokens(600).parallelToolCalls(false);
    }

    static List<ChatCompletionMessageFunctionToolCall> calls(ChatCompletion c) {
        return c.choices().getFirst().message().toolCalls().orElse(List.of()).stream()
                .map(ChatCompletionMessageToolCall::asFunction).toList();
    }

    static void assertValid(ChatCompletionMessageFunctionToolCall call) throws Exception {
        JsonSchema schema = schemas.get(call.function().name());
        assertTrue(schema != null, "unknown function " + call.function().name());
        Set<ValidationMessage> errors = schema.validate(JSON.readTree(call.function().arguments()));
        assertTrue(errors.isEmpty(), call.function().arguments() + " -> " + errors);
    }

    @Test
    void requiredForcesAValidCallOnEverySeed() throws Exception {
        for (long seed = 0; seed < 8; seed++) {
            ChatCompletion c = client.chat().completions().create(chat(seed).toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED).build());
            List<ChatCompletionMessageFunctionToolCall> calls = calls(c);
            assertEquals(1, calls.size(), "seed " + seed + ": " + c.choices().getFirst().message());
            assertValid(calls.getFirst());
            assertEquals(ChatCompletion.Choice.FinishReason.TOOL_CALLS, c.choices().getFirst().finishReason());
            assertTrue(c.choices().getFirst().message().content().orElse("").isBlank());
        }
    }

    @Test
    void aNamedFunctionIsCalled() throws Exception {
        ChatCompletionToolChoiceOption named = ChatCompletionToolChoiceOption.ofNamedToolChoice(ChatCompletionNamedToolChoice.builder()
                .function(ChatCompletionNamedToolChoice.Function.builder().name("get_time").build()).build());
        for (long seed = 20; seed < 24; seed++) {
            List<ChatCompletionMessageFunctionToolCall> calls = calls(client.chat().completions().create(chat(seed).toolChoice(named).build()));
            assertEquals(1, calls.size(), "seed " + seed);
            assertEquals("get_time", calls.getFirst().function().name());
            assertValid(calls.getFirst());
        }
    }

    @Test
    void autoLeavesTheModelFreeToAnswer() {
        // the random model hardly ever writes <tool_call> by itself: its reply is text, and nothing fails
        ChatCompletion c = client.chat().completions().create(chat(1).maxCompletionTokens(24).build());
        assertFalse(c.choices().getFirst().message().content().orElse("").isEmpty());
    }

    @Test
    void aResponseFormatWithToolsIsRefused() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> client.chat().completions().create(chat(1)
                .responseFormat(ResponseFormatJsonObject.builder().build()).build()));
        assertEquals(400, e.statusCode());
        assertTrue(e.getMessage().contains("response_format"), e.getMessage());
        // with tool_choice none the tools are only shown: the format applies
        ChatCompletion c = client.chat().completions().create(chat(1).maxCompletionTokens(40)
                .toolChoice(ChatCompletionToolChoiceOption.Auto.NONE).responseFormat(ResponseFormatJsonObject.builder().build()).build());
        assertTrue(c.choices().getFirst().message().content().orElseThrow().startsWith("{"));
    }
}
