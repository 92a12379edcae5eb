package dev.hearth.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link StdSort} against orders produced by libstdc++ (gcc 12.2, as used for the fixtures): std::sort, and
 * std::partial_sort over the whole range for the heapsort fallback, of ids by descending length with many ties.
 */
class StdSortTest {
    @Test
    void reproducesLibstdcxxOrder() throws IOException {
        int cases = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(
                StdSortTest.class.getResourceAsStream("stdsort-cases.txt"), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("#")) continue;
                String[] halves = line.split(" ->", -1);
                String[] head = halves[0].trim().split(" ");
                int[] len = Arrays.stream(head).skip(1).mapToInt(Integer::parseInt).toArray();
                int[] expected = halves[1].isBlank() ? new int[0]
                        : Arrays.stream(halves[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray();
                int[] ids = new int[len.length];
                Arrays.setAll(ids, i -> i);
                StdSort.Less longerFirst = (a, b) -> len[a] > len[b];
                if (head[0].equals("sort")) StdSort.sort(ids, longerFirst);
                else StdSort.heapSort(ids, 0, ids.length, longerFirst);
                assertArrayEquals(expected, ids, head[0] + " of " + len.length + " lengths " + Arrays.toString(len));
                cases++;
            }
        }
        assertEquals(104, cases);
    }
}
