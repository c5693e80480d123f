package io.dmpo.io;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for safetensors headers, run files and {@code --json} output, through Jackson 3 configured strictly: objects →
 * LinkedHashMap (key order kept), arrays → List, integers → Long, other numbers → Double; duplicate keys, trailing
 * content, NaN/Infinity literals, leading zeros and nesting deeper than {@link #MAX_DEPTH} are errors
 * ({@link IllegalArgumentException} naming the offset). Non-finite doubles are written as {@code null}.
 */
public final class Json {
    private Json() {}

    /** Deepest nesting accepted: a crafted header of 100k '[' must be an error, not a stack overflow. */
    public static final int MAX_DEPTH = 256;

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.USE_LONG_FOR_INTS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public static Object parse(String text) {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JacksonException e) {
            var loc = e.getLocation();
            long offset = loc == null ? -1 : loc.getCharOffset();
            String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
            throw new IllegalArgumentException("malformed JSON at offset " + offset + ": " + msg.lines().findFirst().orElse(msg), e);
        }
    }

    /** Serializes maps, lists, strings, numbers, booleans and null (compact form); other values are an error. */
    public static String write(Object v) {
        try {
            return MAPPER.writeValueAsString(plain(v));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The value with non-finite numbers as null, checked to hold only JSON-able types. */
    private static Object plain(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean) return v;
        if (v instanceof Double d) return Double.isFinite(d) ? d : null;
        if (v instanceof Float f) return Float.isFinite(f) ? f : null;
        if (v instanceof Number) return v;
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (var e : m.entrySet()) out.put(String.valueOf(e.getKey()), plain(e.getValue()));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) out.add(plain(x));
            return out;
        }
        if (v instanceof long[] la) {
            List<Object> out = new ArrayList<>(la.length);
            for (long x : la) out.add(x);
            return out;
        }
        throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
    }

    /** {@code envSteps} → {@code env_steps}: the one spelling of keys in metrics, configs and reports. */
    public static String snakeCase(String camel) {
        StringBuilder b = new StringBuilder(camel.length() + 4);
        for (int i = 0; i < camel.length(); i++) {
            char ch = camel.charAt(i);
            if (Character.isUpperCase(ch)) {
                if (i > 0) b.append('_');
                b.append(Character.toLowerCase(ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }
}
