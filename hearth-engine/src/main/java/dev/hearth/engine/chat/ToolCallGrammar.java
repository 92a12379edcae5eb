package dev.hearth.engine.chat;

import dev.hearth.engine.grammar.Grammar;

import java.util.List;
import java.util.Map;

/**
 * The grammar of a family's tool calls, so that every call the model writes is valid JSON for its function's
 * schema: either of the whole reply (a call is required), or lazy, of what follows the family's
 * {@link ToolSyntax#opening} once it appears (the model may also answer in text). The shapes are exactly those
 * {@link ChatOutputParser} reads.
 *
 * @param grammar the compiled grammar
 * @param trigger the text that switches it on, or null when it applies from the first token
 */
public record ToolCallGrammar(Grammar grammar, String trigger) {

    /**
     * For tool_choice {@code auto}: a lazy grammar after the family's opening, or null for families whose calls
     * have no opening ({@link ToolSyntax#GENERIC}: a call is a JSON reply, undistinguishable from an answer).
     *
     * @param parallel whether several calls may follow each other (OpenAI's parallel_tool_calls)
     */
    public static ToolCallGrammar afterOpening(List<Map<String, Object>> tools, ToolSyntax syntax, boolean parallel) {
        if (syntax.opening() == null) return null;
        String call = callRules(tools, syntax, null);
        String root = switch (syntax) {
            case HERMES -> "tool-lead tool-call \"</tool_call>\"" + (parallel ? " (tool-lead \"<tool_call>\" tool-lead tool-call \"</tool_call>\")*" : "");
            case MISTRAL -> "tool-lead tool-list";
            case LLAMA3_JSON -> "tool-lead tool-call" + (parallel ? " (\";\" space tool-call)*" : "");
            case GENERIC -> throw new AssertionError();
        };
        return new ToolCallGrammar(compile(root, call, syntax, parallel), syntax.opening());
    }

    /**
     * For tool_choice {@code required} or a named function ({@code only} not null): the whole reply is the family's
     * call(s), opening included, from the first token, or from {@code after} when not null (the end of a thinking
     * block the prompt opened).
     */
    public static ToolCallGrammar wholeReply(List<Map<String, Object>> tools, ToolSyntax syntax, String only,
                                             boolean parallel, String after) {
        String call = callRules(tools, syntax, only);
        String root = switch (syntax) {
            case HERMES -> "tool-lead \"<tool_call>\" tool-lead tool-call \"</tool_call>\""
                    + (parallel ? " (tool-lead \"<tool_call>\" tool-lead tool-call \"</tool_call>\")*" : "");
            case MISTRAL -> "tool-lead \"[TOOL_CALLS]\" tool-list";
            // the parser takes a bare call at the start of the reply; <|python_tag|> is a control token a grammar
            // cannot produce (its piece is empty)
            case LLAMA3_JSON -> "tool-lead tool-call" + (parallel ? " (\";\" space tool-call)*" : "");
            case GENERIC -> "tool-lead \"{\" space \"\\\"tool_calls\\\"\" space \":\" space tool-list \"}\" space";
        };
        return new ToolCallGrammar(compile(root, call, syntax, parallel), after);
    }

    private static Grammar compile(String root, String callRules, ToolSyntax syntax, boolean parallel) {
        StringBuilder g = new StringBuilder("root ::= ").append(root).append('\n');
        // the blank lines and spaces models leave around markers (after <tool_call>, [TOOL_CALLS], </think>)
        g.append("tool-lead ::= [ \\t\\n]{0,4}\n");
        if (syntax == ToolSyntax.MISTRAL || syntax == ToolSyntax.GENERIC) {
            g.append("tool-list ::= \"[\" space tool-call").append(parallel ? " (\",\" space tool-call)*" : "")
                    .append(" \"]\" space\n");
        }
        g.append(callRules);
        return Grammar.parse(g.toString());
    }

    /** The schema's rules with its root renamed {@code tool-call}: one call, trailing whitespace included. */
    private static String callRules(List<Map<String, Object>> tools, ToolSyntax syntax, String only) {
        Map<String, Object> schema = ToolCallSchema.toolCallSchema(tools, syntax, only);
        if (((List<?>) schema.get("anyOf")).isEmpty()) throw new IllegalArgumentException("no function to call");
        String gbnf = Grammar.fromJsonSchema(schema).gbnf();
        if (!gbnf.startsWith("root ::= ")) throw new IllegalStateException("unexpected schema grammar: " + gbnf);
        String rules = "tool-call ::= " + gbnf.substring("root ::= ".length());
        // the schema compiler emits `space` only when it uses it; the wrappers always do
        if (!rules.contains("\nspace ::= ")) rules += "space ::= | \" \" | \"\\n\" [ \\t]{0,20}\n";
        return rules;
    }
}
