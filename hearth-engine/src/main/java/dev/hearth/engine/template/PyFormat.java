package dev.hearth.engine.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python string formatting: {@code str.format}, {@code str % args} and {@code datetime.strftime}. */
final class PyFormat {
    private PyFormat() { }

    // ---- str.format

    static String format(String fmt, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c == '}') {
                if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                    out.append('}');
                    i += 2;
                    continue;
                }
                throw TemplateException.runtime("Single '}' encountered in format string");
            }
            if (c != '{') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                out.append('{');
                i += 2;
                continue;
            }
            int depth = 1;
            int j = i + 1;
            while (j < fmt.length() && depth > 0) {
                if (fmt.charAt(j) == '{') depth++;
                else if (fmt.charAt(j) == '}') depth--;
                if (depth > 0) j++;
            }
            if (j >= fmt.length()) throw TemplateException.runtime("Single '{' encountered in format string");
            String field = fmt.substring(i + 1, j);
            i = j + 1;
            String spec = "";
            char conversion = 0;
            int colon = field.indexOf(':');
            if (colon >= 0) {
                spec = format(field.substring(colon + 1), args, kwargs);
                field = field.substring(0, colon);
            }
            int bang = field.indexOf('!');
            if (bang >= 0) {
                conversion = field.charAt(bang + 1);
                field = field.substring(0, bang);
            }
            int end = 0;
            while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') end++;
            String head = field.substring(0, end);
            Object value;
            if (head.isEmpty()) {
                value = positional(args, auto++);
            } else if (head.chars().allMatch(Character::isDigit)) {
                value = positional(args, Integer.parseInt(head));
            } else {
                if (!kwargs.containsKey(head)) throw TemplateException.runtime("KeyError: " + Py.repr(head));
                value = kwargs.get(head);
            }
            while (end < field.length()) {
                if (field.charAt(end) == '.') {
                    int k = end + 1;
                    while (k < field.length() && field.charAt(k) != '.' && field.charAt(k) != '[') k++;
                    value = Py.getattr(value, field.substring(end + 1, k));
                    end = k;
                } else {
                    int k = field.indexOf(']', end);
                    String key = field.substring(end + 1, k);
                    value = Py.getitem(value, key.chars().allMatch(Character::isDigit) && !key.isEmpty()
                            ? (Object) Long.parseLong(key) : key);
                    end = k + 1;
                }
            }
            if (conversion == 'r' || conversion == 'a') value = Py.repr(value);
            else if (conversion == 's') value = Py.str(value);
            out.append(formatValue(value, spec));
        }
        return out.toString();
    }

    private static Object positional(List<Object> args, int index) {
        if (index >= args.size()) {
            throw TemplateException.runtime("Replacement index " + index + " out of range for positional args tuple");
        }
        return args.get(index);
    }

    /** Python's format(value, spec) for the common mini-language: [[fill]align][sign][0][width][,][.prec][type]. */
    static String formatValue(Object value, String spec) {
        if (spec.isEmpty()) return Py.str(value);
        int i = 0;
        char fill = ' ';
        char align = 0;
        if (spec.length() >= 2 && "<>=^".indexOf(spec.charAt(1)) >= 0) {
            fill = spec.charAt(0);
            align = spec.charAt(1);
            i = 2;
        } else if ("<>=^".indexOf(spec.charAt(0)) >= 0) {
            align = spec.charAt(0);
            i = 1;
        }
        char sign = '-';
        if (i < spec.length() && "+- ".indexOf(spec.charAt(i)) >= 0) sign = spec.charAt(i++);
        if (i < spec.length() && spec.charAt(i) == '0') {
            if (align == 0) {
                fill = '0';
                align = '=';
            }
            i++;
        }
        int width = 0;
        while (i < spec.length() && Character.isDigit(spec.charAt(i))) width = width * 10 + spec.charAt(i++) - '0';
        char grouping = 0;
        if (i < spec.length() && (spec.charAt(i) == ',' || spec.charAt(i) == '_')) grouping = spec.charAt(i++);
        int precision = -1;
        if (i < spec.length() && spec.charAt(i) == '.') {
            i++;
            precision = 0;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) precision = precision * 10 + spec.charAt(i++) - '0';
        }
        char type = i < spec.length() ? spec.charAt(i) : 0;

        String body;
        boolean negative = false;
        if (value instanceof String s) {
            if (type != 0 && type != 's') throw TemplateException.runtime("Unknown format code '" + type + "' for object of type 'str'");
            body = precision >= 0 ? s.substring(0, s.offsetByCodePoints(0, Math.min(precision, s.codePointCount(0, s.length())))) : s;
            if (align == 0) align = '<';
        } else if (Py.isNumber(value)) {
            if (align == 0) align = '>';
            boolean intValue = Py.isInt(value);
            if (type == 0 && intValue) type = 'd';
            if (type == 0) type = precision >= 0 ? 'g' : 'r';
            double d = Py.toDouble(value);
            negative = intValue ? Py.toLong(value) < 0 : (d < 0 || (d == 0 && 1 / d < 0));
            switch (type) {
                case 'd', 'n' -> {
                    if (!intValue) throw TemplateException.runtime("Unknown format code 'd' for object of type 'float'");
                    body = Long.toString(Math.abs(Py.toLong(value)));
                }
                case 'x', 'X', 'o', 'b' -> {
                    long v = Math.abs(Py.toLong(value));
                    body = type == 'o' ? Long.toOctalString(v) : type == 'b' ? Long.toBinaryString(v) : Long.toHexString(v);
                    if (type == 'X') body = body.toUpperCase(Locale.ROOT);
                }
                case 'f', 'F' -> body = fixed(Math.abs(d), precision < 0 ? 6 : precision);
                case '%' -> body = fixed(Math.abs(d) * 100, precision < 0 ? 6 : precision) + "%";
                case 'e', 'E' -> body = exponent(Math.abs(d), precision < 0 ? 6 : precision, type);
                case 'g', 'G' -> body = general(Math.abs(d), precision < 0 ? 6 : precision);
                case 'r' -> body = Py.floatRepr(Math.abs(d));
                default -> throw TemplateException.runtime("Unknown format code '" + type + "' for number");
            }
            if (grouping != 0) body = group(body, grouping);
            body = (negative ? "-" : sign == '+' ? "+" : sign == ' ' ? " " : "") + body;
        } else {
            body = Py.str(value);
            if (align == 0) align = '<';
        }
        int n = body.codePointCount(0, body.length());
        if (n >= width) return body;
        String pad = String.valueOf(fill).repeat(width - n);
        return switch (align) {
            case '<' -> body + pad;
            case '^' -> pad.substring(0, (width - n) / 2) + body + pad.substring((width - n) / 2);
            case '=' -> {
                boolean signed = !body.isEmpty() && "+- ".indexOf(body.charAt(0)) >= 0;
                yield signed ? body.charAt(0) + pad + body.substring(1) : pad + body;
            }
            default -> pad + body;
        };
    }

    private static String group(String digits, char sep) {
        int dot = digits.indexOf('.');
        String intPart = dot >= 0 ? digits.substring(0, dot) : digits;
        String rest = dot >= 0 ? digits.substring(dot) : "";
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < intPart.length(); k++) {
            if (k > 0 && (intPart.length() - k) % 3 == 0) b.append(sep);
            b.append(intPart.charAt(k));
        }
        return b + rest;
    }

    static String fixed(double d, int precision) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return "inf";
        return new BigDecimal(d).setScale(precision, RoundingMode.HALF_EVEN).toPlainString();
    }

    private static String exponent(double d, int precision, char type) {
        if (d == 0) return "0" + (precision > 0 ? "." + "0".repeat(precision) : "") + type + "+00";
        BigDecimal bd = new BigDecimal(d);
        int exp = bd.precision() - bd.scale() - 1;
        BigDecimal mant = bd.movePointLeft(exp).setScale(precision, RoundingMode.HALF_EVEN);
        if (mant.compareTo(BigDecimal.TEN) >= 0) {
            exp++;
            mant = bd.movePointLeft(exp).setScale(precision, RoundingMode.HALF_EVEN);
        }
        String e = Integer.toString(Math.abs(exp));
        return mant.toPlainString() + type + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }

    private static String general(double d, int precision) {
        int p = precision == 0 ? 1 : precision;
        if (d == 0) return "0";
        String e = exponent(d, p - 1, 'e');
        int exp = Integer.parseInt(e.substring(e.indexOf('e') + 1));
        String r;
        if (exp >= -4 && exp < p) {
            r = fixed(d, p - 1 - exp);
            if (r.contains(".")) r = r.replaceAll("0+$", "").replaceAll("\\.$", "");
        } else {
            String mant = e.substring(0, e.indexOf('e'));
            if (mant.contains(".")) mant = mant.replaceAll("0+$", "").replaceAll("\\.$", "");
            r = mant + e.substring(e.indexOf('e'));
        }
        return r;
    }

    // ---- printf-style: str % args

    static String percent(String fmt, Object args) {
        List<Object> values = args instanceof Tuple t ? t : List.of(args == null ? NONE : args);
        // Like CPython, any non-tuple argument with __getitem__ (list, dict, undefined) is "a mapping": unused
        // arguments are then not an error.
        boolean mappingLike = !(args instanceof Tuple) && (args instanceof List || args instanceof Map || args instanceof Undefined);
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            i++;
            if (i >= fmt.length()) throw TemplateException.runtime("incomplete format");
            Object value = null;
            boolean keyed = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                String key = fmt.substring(i + 1, close);
                if (!(args instanceof Map<?, ?> m)) throw TemplateException.runtime("format requires a mapping");
                value = m.get(key);
                keyed = true;
                i = close + 1;
            }
            StringBuilder flags = new StringBuilder();
            while (i < fmt.length() && "-+ 0#".indexOf(fmt.charAt(i)) >= 0) flags.append(fmt.charAt(i++));
            StringBuilder width = new StringBuilder();
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) width.append(fmt.charAt(i++));
            String precision = "";
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                StringBuilder p = new StringBuilder(".");
                i++;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) p.append(fmt.charAt(i++));
                precision = p.length() == 1 ? ".0" : p.toString();
            }
            char type = fmt.charAt(i);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (!keyed) {
                if (next >= values.size()) throw TemplateException.runtime("not enough arguments for format string");
                value = values.get(next++);
                if (value == NONE) value = null;
            }
            String align = flags.indexOf("-") >= 0 ? "<" : "";
            String zero = flags.indexOf("0") >= 0 && align.isEmpty() ? "0" : "";
            String sign = flags.indexOf("+") >= 0 ? "+" : flags.indexOf(" ") >= 0 ? " " : "";
            String spec;
            Object v = value;
            switch (type) {
                case 's' -> {
                    v = Py.str(value);
                    spec = (align.isEmpty() ? ">" : align) + width + precision;
                }
                case 'r', 'a' -> {
                    v = Py.repr(value);
                    spec = (align.isEmpty() ? ">" : align) + width + precision;
                }
                case 'd', 'i', 'u' -> {
                    if (!Py.isNumber(value)) {
                        throw TemplateException.runtime("%" + type + " format: a real number is required, not "
                                + Py.typeName(value));
                    }
                    v = Py.isInt(value) ? (Object) Py.toLong(value) : (long) Py.toDouble(value);
                    spec = (align.isEmpty() ? "" : align) + sign + zero + width + "d";
                }
                case 'f', 'F', 'e', 'E', 'g', 'G', 'x', 'X', 'o' -> {
                    if (!Py.isNumber(value)) {
                        throw TemplateException.runtime("must be real number, not " + Py.typeName(value));
                    }
                    if ("xXo".indexOf(type) >= 0) v = Py.toLong(value);
                    else v = Py.toDouble(value);
                    String p = precision.isEmpty() && "fFeE".indexOf(type) >= 0 ? ".6" : precision;
                    spec = align + sign + zero + width + p + type;
                }
                case 'c' -> {
                    v = value instanceof String ? value : Character.toString((int) Py.toLong(value));
                    spec = (align.isEmpty() ? ">" : align) + width;
                }
                default -> throw TemplateException.runtime("unsupported format character '" + type + "'");
            }
            out.append(formatValue(v, spec));
        }
        if (!mappingLike && next < values.size()) {
            throw TemplateException.runtime("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    private static final Object NONE = new Object();

    // ---- strftime

    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            char f = fmt.charAt(++i);
            boolean noPad = false;
            if (f == '-' && i + 1 < fmt.length()) {
                noPad = true;
                f = fmt.charAt(++i);
            }
            String v = switch (f) {
                case 'd' -> pad2(t.getDayOfMonth(), noPad);
                case 'm' -> pad2(t.getMonthValue(), noPad);
                case 'Y' -> Integer.toString(t.getYear());
                case 'y' -> pad2(t.getYear() % 100, noPad);
                case 'H' -> pad2(t.getHour(), noPad);
                case 'I' -> pad2(t.getHour() % 12 == 0 ? 12 : t.getHour() % 12, noPad);
                case 'M' -> pad2(t.getMinute(), noPad);
                case 'S' -> pad2(t.getSecond(), noPad);
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'j' -> noPad ? Integer.toString(t.getDayOfYear()) : String.format("%03d", t.getDayOfYear());
                case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
                case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'D' -> strftime("%m/%d/%y", t);
                case 'F' -> strftime("%Y-%m-%d", t);
                case 'T' -> strftime("%H:%M:%S", t);
                case 'R' -> strftime("%H:%M", t);
                case 'c' -> strftime("%a %b %e %H:%M:%S %Y", t);
                case 'x' -> strftime("%m/%d/%y", t);
                case 'X' -> strftime("%H:%M:%S", t);
                case 'z', 'Z' -> "";
                case '%' -> "%";
                default -> "%" + (noPad ? "-" : "") + f;
            };
            b.append(v);
        }
        return b.toString();
    }

    private static String pad2(int v, boolean noPad) {
        return noPad || v >= 10 ? Integer.toString(v) : "0" + v;
    }
}
