package io.dmpo.io;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Json}: what it writes reads back as the same value (objects → LinkedHashMap in key order, arrays → List,
 * integers → Long, other numbers → Double, strings with every escape, booleans, null), doubles come back bit for bit,
 * and malformed text throws {@link IllegalArgumentException} naming the offset instead of returning data.
 */
class JsonTest {
    /** A nested document: maps in lists in maps, every scalar kind, strings that need escaping, non-ASCII text. */
    static Map<String, Object> document() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("quote\"and\\backslash", "tab\there, newline\nthere, return\r, slash /");
        inner.put("controls", "\u0000\u0001\b\f\u001f");
        inner.put("unicode", "héllo wörld – π ≈ 3.14159, 日本語, emoji \uD83D\uDE00, line sep \u2028");
        inner.put("", "empty key");
        inner.put("empty", "");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("z_first", 1L); // insertion order, not sorted order, is kept
        doc.put("a_second", -42L);
        doc.put("long_max", Long.MAX_VALUE);
        doc.put("long_min", Long.MIN_VALUE);
        doc.put("pi", Math.PI);
        doc.put("tiny", 4.9e-324);
        doc.put("huge", -1.7976931348623157e308);
        doc.put("true", true);
        doc.put("false", false);
        doc.put("nothing", null);
        doc.put("strings", inner);
        doc.put("list", new ArrayList<>(Arrays.asList(1L, 2.5, "three", null, true, new ArrayList<>(),
                new LinkedHashMap<>(), new ArrayList<>(List.of(new ArrayList<>(List.of(new ArrayList<>(List.of(7L)))))))));
        Map<String, Object> deep = new LinkedHashMap<>();
        deep.put("level", 3L);
        Map<String, Object> mid = new LinkedHashMap<>();
        mid.put("child", deep);
        mid.put("siblings", new ArrayList<>(List.of(deep, deep)));
        doc.put("nested", mid);
        return doc;
    }

    @Test
    void nestedDocumentRoundTrips() {
        Map<String, Object> doc = document();
        String text = Json.write(doc);
        Object back = Json.parse(text);
        assertEquals(doc, back);
        assertInstanceOf(LinkedHashMap.class, back);
        assertEquals(List.copyOf(doc.keySet()), List.copyOf(((Map<?, ?>) back).keySet()), "key order is kept");
        // and the text is stable: writing what was read gives the same text
        assertEquals(text, Json.write(back));
        // whitespace between tokens is allowed when reading
        String spaced = "\n { \"a\" :\t[ 1 , 2.5 ,\r\n \"x\" , { } , [ ] , null , true , false ] } \n";
        Map<String, Object> want = new LinkedHashMap<>();
        want.put("a", Arrays.asList(1L, 2.5, "x", Map.of(), List.of(), null, true, false));
        assertEquals(want, Json.parse(spaced));
    }

    @Test
    void writesCompactTextWithEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("k", List.of(1, 2L, "a\"b\\c\nd\te\u0001"));
        m.put("b", true);
        m.put("n", null);
        assertEquals("{\"k\":[1,2,\"a\\\"b\\\\c\\nd\\te\\u0001\"],\"b\":true,\"n\":null}", Json.write(m));
        assertEquals("[1,2,3]", Json.write(new long[] {1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()), "unsupported types are an error");
    }

    @Test
    void readsEveryEscape() {
        assertEquals("\"\\/\b\f\n\r\té😀A", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\\u0041\""));
        assertEquals("é😀", Json.parse("\"é😀\""), "non-ASCII text may also be raw");
    }

    @Test
    void numbersReadAsLongOrDouble() {
        assertEquals(0L, Json.parse("0"));
        assertEquals(-17L, Json.parse("-17"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(2.5, Json.parse("2.5"));
        assertEquals(1e5, Json.parse("1e5"));
        assertEquals(-1.5e-3, Json.parse("-1.5E-3"));
        assertEquals(1e22, Json.parse("1e+22"));
        assertInstanceOf(Double.class, Json.parse("1.0"), "a decimal point makes a Double");
        // a double stays a double: 3.0 is written with its fraction and reads back as Double
        assertEquals("3.0", Json.write(3.0));
        assertEquals(3.0, Json.parse(Json.write(3.0)));
        assertEquals(-0.0, (double) Json.parse(Json.write(-0.0)), 0.0);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((double) Json.parse(Json.write(-0.0))));
        // non-finite doubles and floats have no JSON form: written as null
        assertEquals("[null,null,null,null]", Json.write(Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY,
                Float.NaN, Float.NEGATIVE_INFINITY)));
    }

    /**
     * Every finite double (random bit patterns, all exponents, and edge values, −0.0 included) reads back to the same bits.
     */
    @Test
    @SuppressWarnings("unchecked")
    void doublesRoundTripExactly() {
        List<Double> values = new ArrayList<>(List.of(0.0, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, -1.0 / 7, Math.E, 1e-300,
                Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, Math.nextUp(1.0),
                Math.nextDown(1.0), 9007199254740993.0, 9007199254740992.0, 1e15 - 0.5, 999999999999999.0, 1e15,
                1e16, 123456789.125, -0.5, 1e-5, 4.35, 5e-324, 1.7976931348623157e308, 2.2250738585072014E-308));
        SplittableRandom rng = new SplittableRandom(2024);
        while (values.size() < 5000) {
            double d = Double.longBitsToDouble(rng.nextLong());
            if (Double.isFinite(d)) values.add(d);
        }
        for (int i = 0; i < 1000; i++) values.add(rng.nextGaussian() * Math.pow(10, rng.nextInt(-20, 21)));
        for (int i = 0; i < 200; i++) values.add((double) rng.nextLong(-(1L << 53), 1L << 53)); // integral
        for (double d : values) {
            Object back = Json.parse(Json.write(d));
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(((Number) back).doubleValue()),
                    () -> d + " was written as " + Json.write(d));
        }
        // the same inside a document (a list of all of them)
        List<Object> back = (List<Object>) Json.parse(Json.write(values));
        for (int i = 0; i < values.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(values.get(i)), Double.doubleToRawLongBits(((Number) back.get(i)).doubleValue()));
        }
    }

    @Test
    void longsRoundTripExactly() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int i = 0; i < 2000; i++) {
            long v = i < 4 ? new long[] {0, -1, Long.MAX_VALUE, Long.MIN_VALUE}[i] : rng.nextLong();
            assertEquals(v, Json.parse(Json.write(v)));
        }
    }

    static void assertMalformed(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text),
                () -> "should not parse: " + text);
        assertTrue(e.getMessage().startsWith("malformed JSON at offset "), e.getMessage());
    }

    @Test
    void truncatedInputThrows() {
        String full = Json.write(document());
        // every proper prefix of a document is malformed (the document is an object, so no prefix is complete)
        for (int cut = 0; cut < full.length(); cut++) assertMalformed(full.substring(0, cut));
        for (String s : new String[] {"", "   ", "[", "[1", "[1,", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,",
                "\"abc", "\"abc\\", "\"\\u00", "tru", "fals", "nul", "-", "1e", "1.5e+", "[\"a\",{\"b\":[null"}) {
            assertMalformed(s);
        }
    }

    @Test
    void trailingGarbageThrows() {
        for (String s : new String[] {"{} x", "{}}", "[1]]", "1 2", "truex", "nullnull", "\"a\"\"b\"", "[1],", "0x10",
                "{\"a\":1} {\"b\":2}", "1.5.5", "--1", "1-2", "1e5e5"}) {
            assertMalformed(s);
        }
    }

    @Test
    void badEscapesAndStringsThrow() {
        for (String s : new String[] {"\"\\x\"", "\"\\a\"", "\"\\U0041\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uZZZZ\"",
                "\"\\u 123\"", "\"\\", "\"tab\tinside\"", "\"new\nline\"", "\"nul\u0000\"", "'single'", "{'a':1}"}) {
            assertMalformed(s);
        }
    }

    @Test
    void structuralErrorsThrow() {
        for (String s : new String[] {"[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{a:1}",
                "{\"a\":1 \"b\":2}", "{\"a\":1,\"a\":2}", "]", "}", ":", ",", "+1", ".5", "NaN", "Infinity",
                "-Infinity", "True", "NULL", "undefined", "[1;2]"}) {
            assertMalformed(s);
        }
    }

    /** Nesting up to Json.MAX_DEPTH parses; deeper input (a crafted header) is a clean error, not a stack overflow. */
    @Test
    void nestingIsBoundedWithAClearError() {
        int depth = Json.MAX_DEPTH - 1;
        String text = "[".repeat(depth) + "{\"k\":null}" + "]".repeat(depth);
        Object v = Json.parse(text);
        for (int i = 0; i < depth; i++) v = ((List<?>) v).get(0);
        assertNull(((Map<?, ?>) v).get("k"));
        assertTrue(((Map<?, ?>) v).containsKey("k"));
        assertMalformed("[".repeat(depth) + "]".repeat(depth - 1));
        assertMalformed("[".repeat(100_000));
        assertMalformed("\"\\u-123\"");
    }
}
