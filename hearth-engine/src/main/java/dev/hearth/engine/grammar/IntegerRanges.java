package dev.hearth.engine.grammar;

import java.util.ArrayList;
import java.util.List;

/**
 * GBNF for decimal numbers within integer bounds, exactly: digit strings without leading zeros are split by
 * length, and each same-length range into a shared prefix, the two boundary digits and free middle digits.
 */
final class IntegerRanges {
    private static final String FRACTION = "(\".\" [0-9]{1,16})?";
    private static final String ZERO_FRACTION = "(\".\" [0]{1,16})?";

    private IntegerRanges() {}

    /** Integers in [min, max]; either bound may be null (unbounded). */
    static String signed(Long min, Long max) {
        List<String> alts = new ArrayList<>();
        if (min == null || min < 0) {
            long absLo = max != null && max < 0 ? -max : 1;
            Long absHi = min == null ? null : -min;
            alts.add("\"-\" (" + unsigned(absLo, absHi) + ")");
        }
        if (max == null || max >= 0) alts.add(unsigned(min == null || min < 0 ? 0 : min, max));
        return String.join(" | ", alts);
    }

    /** Decimals (no exponent) in [min, max]; either bound may be null. */
    static String decimal(Long min, Long max) {
        List<String> alts = new ArrayList<>();
        if (min == null || min < 0) {
            // a negative x has |x| in [max(-max, 0), -min]; "-0.0" is zero, within range whenever max >= 0
            long absLo = max != null && max < 0 ? -max : 0;
            alts.add("\"-\" (" + magnitude(absLo, min == null ? null : -min) + ")");
        }
        if (max == null || max >= 0) alts.add(magnitude(min == null || min < 0 ? 0 : min, max));
        return String.join(" | ", alts);
    }

    /** I.F with lo <= I.F <= hi: I in [lo, hi - 1] with any fraction, or I = hi with a zero fraction. */
    private static String magnitude(long lo, Long hi) {
        if (hi == null) return "(" + unsigned(lo, null) + ") " + FRACTION;
        List<String> alts = new ArrayList<>();
        if (hi - 1 >= lo) alts.add("(" + unsigned(lo, hi - 1) + ") " + FRACTION);
        alts.add(Gbnf.literal(Long.toString(hi)) + " " + ZERO_FRACTION);
        return String.join(" | ", alts);
    }

    /** Non-negative integers in [lo, hi] (hi null: unbounded), no leading zeros. */
    static String unsigned(long lo, Long hi) {
        String a = Long.toString(lo);
        List<String> alts = new ArrayList<>();
        int lastLength = hi == null ? a.length() : Long.toString(hi).length();
        for (int len = a.length(); len <= lastLength; len++) {
            String from = len == a.length() ? a : "1" + "0".repeat(len - 1);
            String to = hi != null && len == lastLength ? Long.toString(hi) : "9".repeat(len);
            alts.add(sameLength(from, to));
        }
        if (hi == null) alts.add("[1-9] [0-9]{" + a.length() + ",}");
        return String.join(" | ", alts);
    }

    /** Digit strings of one length between a and b inclusive. */
    private static String sameLength(String a, String b) {
        if (a.equals(b)) return Gbnf.literal(a);
        int i = 0;
        while (a.charAt(i) == b.charAt(i)) i++;
        String prefix = i > 0 ? Gbnf.literal(a.substring(0, i)) + " " : "";
        char da = a.charAt(i), db = b.charAt(i);
        String aRest = a.substring(i + 1), bRest = b.substring(i + 1);
        int k = aRest.length();
        List<String> alts = new ArrayList<>();
        char midLo = da, midHi = db;
        if (!aRest.chars().allMatch(c -> c == '0')) {
            alts.add(Gbnf.literal(String.valueOf(da)) + " (" + atLeast(aRest) + ")");
            midLo++;
        }
        boolean highFree = bRest.chars().allMatch(c -> c == '9');
        if (!highFree) midHi--;
        if (midLo <= midHi) alts.add(digits(midLo, midHi) + (k > 0 ? " [0-9]{" + k + "}" : ""));
        if (!highFree) alts.add(Gbnf.literal(String.valueOf(db)) + " (" + atMost(bRest) + ")");
        return prefix + "(" + String.join(" | ", alts) + ")";
    }

    /** Digit strings of s's length that are >= s. */
    private static String atLeast(String s) {
        if (s.chars().allMatch(c -> c == '0')) return "[0-9]{" + s.length() + "}";
        char d = s.charAt(0);
        String rest = s.substring(1);
        if (rest.isEmpty()) return digits(d, '9');
        String same = Gbnf.literal(String.valueOf(d)) + " (" + atLeast(rest) + ")";
        return d == '9' ? same : same + " | " + digits((char) (d + 1), '9') + " [0-9]{" + rest.length() + "}";
    }

    /** Digit strings of s's length that are <= s. */
    private static String atMost(String s) {
        if (s.chars().allMatch(c -> c == '9')) return "[0-9]{" + s.length() + "}";
        char d = s.charAt(0);
        String rest = s.substring(1);
        if (rest.isEmpty()) return digits('0', d);
        String same = Gbnf.literal(String.valueOf(d)) + " (" + atMost(rest) + ")";
        return d == '0' ? same : same + " | " + digits('0', (char) (d - 1)) + " [0-9]{" + rest.length() + "}";
    }

    private static String digits(char lo, char hi) {
        return lo == hi ? "[" + lo + "]" : "[" + lo + "-" + hi + "]";
    }
}
