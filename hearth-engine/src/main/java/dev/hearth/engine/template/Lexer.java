package dev.hearth.engine.template;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits template source into tokens the way Jinja2's lexer does with trim_blocks and lstrip_blocks on: data
 * between tags (after whitespace control), then the tokens inside each {@code {{ }}} / {@code {% %}} tag.
 * Comments vanish here; raw blocks become data.
 */
final class Lexer {

    enum Kind { DATA, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OP, EOF }

    record Token(Kind kind, String text, Object value, int line, int column) {
        boolean is(Kind k, String t) {
            return kind == k && text.equals(t);
        }

        boolean isName(String name) {
            return kind == Kind.NAME && text.equals(name);
        }

        boolean isOp(String op) {
            return kind == Kind.OP && text.equals(op);
        }
    }

    private static final Pattern FLOAT = Pattern.compile(
            "(?<!\\.)(\\d+_)*\\d+((\\.(\\d+_)*\\d+)?[eE][+\\-]?(\\d+_)*\\d+|\\.(\\d+_)*\\d+)");
    private static final Pattern INTEGER = Pattern.compile(
            "0[bB](_?[01])+|0[oO](_?[0-7])+|0[xX](_?[0-9a-fA-F])+|[1-9](_?\\d)*|0(_?0)*");
    private static final Pattern STRING = Pattern.compile(
            "'([^'\\\\]*(?:\\\\.[^'\\\\]*)*)'|\"([^\"\\\\]*(?:\\\\.[^\"\\\\]*)*)\"", Pattern.DOTALL);
    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%([-+]?)\\s*raw\\s*(-%}|%})");
    private static final Pattern RAW_END = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*(\\+%}|-%}|%})");
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final int[] lineStarts;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    /** Jinja's line_starting: whether the previous match ended with a newline (lstrip applies then too). */
    private boolean lineStarting = true;

    private Lexer(String source) {
        this.src = source;
        int[] starts = new int[16];
        int count = 0;
        starts[count++] = 0;
        for (int i = 0; i < source.length(); i++) {
            if (source.charAt(i) == '\n') {
                if (count == starts.length) starts = Arrays.copyOf(starts, count * 2);
                starts[count++] = i + 1;
            }
        }
        this.lineStarts = Arrays.copyOf(starts, count);
    }

    /** Normalises newlines, drops one trailing newline (keep_trailing_newline=False) and tokenizes. */
    static List<Token> tokenize(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        if (s.endsWith("\n")) s = s.substring(0, s.length() - 1);
        Lexer lexer = new Lexer(s);
        lexer.run();
        return lexer.out;
    }

    int line(int at) {
        int i = Arrays.binarySearch(lineStarts, at);
        return i >= 0 ? i + 1 : -i - 1;
    }

    private int column(int at) {
        return at - lineStarts[line(at) - 1] + 1;
    }

    private TemplateException error(String message, int at) {
        return TemplateException.syntax(message, line(at), column(at));
    }

    private void emit(Kind kind, String text, Object value, int at) {
        out.add(new Token(kind, text, value, line(at), column(at)));
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int tag = nextTag(pos);
            if (tag < 0) {
                emit(Kind.DATA, src.substring(pos), null, pos);
                pos = n;
                break;
            }
            String text = src.substring(pos, tag);
            int textStart = pos;
            char type = src.charAt(tag + 1);
            Matcher raw = type == '%' ? RAW_BEGIN.matcher(src).region(tag, n) : null;
            boolean isRaw = raw != null && raw.lookingAt();
            char sign = isRaw ? signOf(raw.group(1)) : tag + 2 < n ? src.charAt(tag + 2) : 0;
            text = stripBeforeTag(text, sign, type != '{');
            if (!text.isEmpty()) emit(Kind.DATA, text, null, textStart);
            if (isRaw) {
                int end = raw.end();
                if (raw.group(2).startsWith("-")) end = skipSpace(end);
                pos = end;
                lineStarting = src.charAt(end - 1) == '\n';
                lexRaw(tag);
                continue;
            }
            int inner = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
            lineStarting = false;
            switch (type) {
                case '#' -> lexComment(tag, inner);
                case '{' -> {
                    emit(Kind.VAR_BEGIN, "{{", null, tag);
                    pos = inner;
                    lexTag(false, tag);
                }
                default -> {
                    emit(Kind.BLOCK_BEGIN, "{%", null, tag);
                    pos = inner;
                    lexTag(true, tag);
                }
            }
        }
        emit(Kind.EOF, "", null, n);
    }

    private static char signOf(String g) {
        return g.isEmpty() ? 0 : g.charAt(0);
    }

    private int nextTag(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** Whitespace control on the data before a tag: '-' strips all trailing whitespace, lstrip_blocks the line's indent. */
    private String stripBeforeTag(String text, char sign, boolean lstripApplies) {
        if (sign == '-') return Py.rstrip(text);
        if (sign != '+' && lstripApplies) {
            int lpos = text.lastIndexOf('\n') + 1;
            if ((lpos > 0 || lineStarting) && lpos < text.length() && Py.isSpace(text, lpos, text.length())) {
                return text.substring(0, lpos);
            }
        }
        return text;
    }

    private int skipSpace(int at) {
        while (at < src.length() && Py.isSpace(src.charAt(at))) at++;
        return at;
    }

    private void lexComment(int tag, int from) {
        int i = src.indexOf("#}", from);
        if (i < 0) throw error("Missing end of comment tag", tag);
        int end;
        if (i > from && src.charAt(i - 1) == '-') {
            end = skipSpace(i + 2);
        } else if (i > from && src.charAt(i - 1) == '+') {
            end = i + 2;
        } else {
            end = i + 2;
            if (end < src.length() && src.charAt(end) == '\n') end++;
        }
        lineStarting = src.charAt(end - 1) == '\n';
        pos = end;
    }

    private void lexRaw(int tag) {
        Matcher m = RAW_END.matcher(src).region(pos, src.length());
        if (!m.find()) throw error("Missing end of raw directive", tag);
        String text = stripBeforeTag(src.substring(pos, m.start()), signOf(m.group(1)), true);
        if (!text.isEmpty()) emit(Kind.DATA, text, null, pos);
        int end = m.end();
        if (m.group(2).equals("-%}")) end = skipSpace(end);
        else if (m.group(2).equals("%}") && end < src.length() && src.charAt(end) == '\n') end++;
        lineStarting = src.charAt(end - 1) == '\n';
        pos = end;
    }

    /** Tokens inside a tag up to its end delimiter; ends only where brackets balance, as Jinja does. */
    private void lexTag(boolean block, int tag) {
        List<Character> balance = new ArrayList<>();
        int n = src.length();
        while (true) {
            if (pos >= n) return; // the parser reports the missing end
            if (balance.isEmpty() && tagEnd(block)) return;
            char c = src.charAt(pos);
            if (Py.isSpace(c)) {
                int end = skipSpace(pos);
                lineStarting = src.charAt(end - 1) == '\n';
                pos = end;
                continue;
            }
            lineStarting = false;
            Matcher m;
            if (Character.isDigit(c) && (m = FLOAT.matcher(src).region(pos, n).useTransparentBounds(true)).lookingAt()) {
                String t = m.group();
                emit(Kind.FLOAT, t, Double.parseDouble(t.replace("_", "")), pos);
                pos = m.end();
            } else if (Character.isDigit(c) && (m = INTEGER.matcher(src).region(pos, n)).lookingAt()) {
                String t = m.group();
                emit(Kind.INTEGER, t, parseInteger(t.replace("_", "")), pos);
                pos = m.end();
            } else if (c == '_' || Character.isUnicodeIdentifierStart(c)) {
                int end = pos + 1;
                while (end < n && Character.isUnicodeIdentifierPart(src.charAt(end))
                        && !Character.isIdentifierIgnorable(src.charAt(end))) end++;
                emit(Kind.NAME, src.substring(pos, end), null, pos);
                pos = end;
            } else if ((c == '\'' || c == '"') && (m = STRING.matcher(src).region(pos, n)).lookingAt()) {
                String body = m.group(1) != null ? m.group(1) : m.group(2);
                emit(Kind.STRING, m.group(), unescape(body, pos), pos);
                pos = m.end();
            } else {
                String op = operatorAt(pos);
                if (op == null) {
                    throw error("unexpected char " + Py.repr(String.valueOf(c)) + " at " + pos, pos);
                }
                switch (op) {
                    case "(" -> balance.add(')');
                    case "[" -> balance.add(']');
                    case "{" -> balance.add('}');
                    case ")", "]", "}" -> {
                        if (balance.isEmpty()) throw error("unexpected '" + op + "'", pos);
                        char expected = balance.removeLast();
                        if (expected != op.charAt(0)) {
                            throw error("unexpected '" + op + "', expected '" + expected + "'", pos);
                        }
                    }
                    default -> { }
                }
                emit(Kind.OP, op, null, pos);
                pos += op.length();
            }
        }
    }

    private boolean tagEnd(boolean block) {
        int at = pos;
        if (block) {
            if (src.startsWith("+%}", at)) {
                emit(Kind.BLOCK_END, "%}", null, at);
                pos = at + 3;
            } else if (src.startsWith("-%}", at)) {
                emit(Kind.BLOCK_END, "%}", null, at);
                pos = skipSpace(at + 3);
            } else if (src.startsWith("%}", at)) {
                emit(Kind.BLOCK_END, "%}", null, at);
                pos = at + 2;
                if (pos < src.length() && src.charAt(pos) == '\n') pos++; // trim_blocks
            } else {
                return false;
            }
        } else {
            if (src.startsWith("-}}", at)) {
                emit(Kind.VAR_END, "}}", null, at);
                pos = skipSpace(at + 3);
            } else if (src.startsWith("}}", at)) {
                emit(Kind.VAR_END, "}}", null, at);
                pos = at + 2;
            } else {
                return false;
            }
        }
        lineStarting = src.charAt(pos - 1) == '\n';
        return true;
    }

    private String operatorAt(int at) {
        for (String op : OPERATORS) {
            if (src.startsWith(op, at)) return op;
        }
        return null;
    }

    private static Object parseInteger(String t) {
        String lower = t.toLowerCase();
        int radix = 10;
        if (lower.startsWith("0b")) radix = 2;
        else if (lower.startsWith("0o")) radix = 8;
        else if (lower.startsWith("0x")) radix = 16;
        String digits = radix == 10 ? t : t.substring(2);
        return Long.parseLong(digits, radix);
    }

    /** Python string-literal escapes (Jinja decodes literals with unicode-escape). */
    private String unescape(String s, int at) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                b.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case '\n' -> { }
                case '\\' -> b.append('\\');
                case '\'' -> b.append('\'');
                case '"' -> b.append('"');
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'v' -> b.append('\u000b');
                case 'x', 'u', 'U' -> {
                    int len = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + 1 + len > s.length()) {
                        throw error("invalid \\" + e + " escape in string literal", at);
                    }
                    String hex = s.substring(i + 1, i + 1 + len);
                    try {
                        b.appendCodePoint(Integer.parseInt(hex, 16));
                    } catch (IllegalArgumentException ex) {
                        throw error("invalid \\" + e + " escape in string literal", at);
                    }
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i;
                        while (end < s.length() && end < i + 3 && s.charAt(end) >= '0' && s.charAt(end) <= '7') end++;
                        b.append((char) Integer.parseInt(s.substring(i, end), 8));
                        i = end - 1;
                    } else {
                        b.append('\\').append(e);
                    }
                }
            }
        }
        return b.toString();
    }
}
