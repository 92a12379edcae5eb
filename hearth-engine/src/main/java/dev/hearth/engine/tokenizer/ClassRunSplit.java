package dev.hearth.engine.tokenizer;

import java.util.Arrays;

/**
 * Regexes of the shape {@code [set]}, {@code [set]+} or {@code \s?[set]+}, where the set is literal code points
 * and ranges (DeepSeek's letter, punctuation and CJK sets), matched with a table instead of a regex engine. Like
 * llama.cpp's std::wregex run, it sees non-ASCII whitespace as U+000B, and text between matches becomes pieces.
 *
 * @param ranges     sorted, non-overlapping inclusive ranges: first0, last0, first1, last1...
 * @param repeat     {@code +} after the set
 * @param spaceFirst {@code \s?} before the set
 */
record ClassRunSplit(int[] ranges, boolean repeat, boolean spaceFirst) implements SplitRule {

    /** The rule for a pattern of one of the three shapes, or null. */
    static ClassRunSplit parse(String regex) {
        boolean spaceFirst = regex.startsWith("\\s?");
        String rest = spaceFirst ? regex.substring(3) : regex;
        boolean repeat = rest.endsWith("]+");
        if (!rest.startsWith("[") || rest.startsWith("[^") || !(repeat || rest.endsWith("]"))) return null;
        if (spaceFirst && !repeat) return null;
        String set = rest.substring(1, rest.length() - (repeat ? 2 : 1));
        if (set.isEmpty() || set.contains("\\") || set.contains("[") || set.contains("]")) return null;
        int[] cps = set.codePoints().toArray();
        int[][] rs = new int[cps.length][];
        int n = 0;
        for (int i = 0; i < cps.length; i++) {
            if (i + 2 < cps.length && cps[i + 1] == '-') {
                rs[n++] = new int[] {cps[i], cps[i + 2]};
                i += 2;
            } else {
                rs[n++] = new int[] {cps[i], cps[i]};
            }
        }
        int[][] sorted = Arrays.copyOf(rs, n);
        Arrays.sort(sorted, (a, b) -> Integer.compare(a[0], b[0]));
        int[] merged = new int[2 * n];
        int m = 0;
        for (int[] r : sorted) {
            if (r[0] > r[1]) return null; // an invalid range: leave it to the regex engine
            if (m > 0 && r[0] <= merged[m - 1] + 1) {
                merged[m - 1] = Math.max(merged[m - 1], r[1]);
            } else {
                merged[m++] = r[0];
                merged[m++] = r[1];
            }
        }
        return new ClassRunSplit(Arrays.copyOf(merged, m), repeat, spaceFirst);
    }

    private boolean member(SplitText t, int i, int to) {
        if (i >= to) return false;
        int cp = t.cps[i];
        if (cp >= 128 && CodepointClass.isWhitespace(t.classes[i])) cp = 0x0B; // as std::wregex sees it
        int lo = 0, hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (cp < ranges[2 * mid]) hi = mid - 1;
            else if (cp > ranges[2 * mid + 1]) lo = mid + 1;
            else return true;
        }
        return false;
    }

    @Override
    public void split(SplitText t, int from, int to, IntList out) {
        int last = from;
        for (int i = from; i < to; ) {
            int start, end;
            if (spaceFirst && CodepointClass.isWhitespace(t.classes[i]) && member(t, i + 1, to)) {
                start = i;
                end = i + 1;
            } else if (member(t, i, to)) {
                start = end = i;
            } else {
                i++;
                continue;
            }
            end++;
            if (repeat) while (member(t, end, to)) end++;
            if (start > last) out.add(start - last);
            out.add(end - start);
            last = i = end;
        }
        if (last < to) out.add(to - last);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassRunSplit c && Arrays.equals(c.ranges, ranges) && c.repeat == repeat && c.spaceFirst == spaceFirst;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges) * 4 + (repeat ? 2 : 0) + (spaceFirst ? 1 : 0);
    }

    @Override
    public String toString() {
        return "ClassRunSplit[" + ranges.length / 2 + " ranges, repeat=" + repeat + ", spaceFirst=" + spaceFirst + "]";
    }
}
