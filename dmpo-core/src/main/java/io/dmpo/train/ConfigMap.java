package io.dmpo.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Strict reading of a nested configuration (parsed YAML or JSON): every value is read with its default, the resolved
 * configuration (defaults filled in) is recorded for the run directory, wrong types name the key and the file, and
 * {@link #requireAllRead()} rejects unknown keys — a misspelled option is an error, never silently ignored.
 */
public final class ConfigMap {
    private final Map<String, Object> values;
    private final String source, prefix;
    private final Map<String, Object> resolved = new LinkedHashMap<>();
    private final Map<String, ConfigMap> sections = new LinkedHashMap<>();
    private final java.util.Set<String> read = new java.util.HashSet<>();

    public ConfigMap(Map<String, Object> values, String source) {
        this(values, source, "");
    }

    private ConfigMap(Map<String, Object> values, String source, String prefix) {
        this.values = values == null ? Map.of() : values;
        this.source = source;
        this.prefix = prefix;
    }

    private IllegalArgumentException bad(String key, String what) {
        return new IllegalArgumentException(source + ": '" + prefix + key + "' " + what);
    }

    private Object raw(String key) {
        read.add(key);
        return values.get(key);
    }

    /** Whether the file sets {@code key} (without reading it). */
    public boolean contains(String key) {
        return values.containsKey(key);
    }

    /** The file this configuration came from (how errors name it). */
    public String source() {
        return source;
    }

    /** A nested section (absent = all defaults). */
    @SuppressWarnings("unchecked")
    public ConfigMap section(String key) {
        return sections.computeIfAbsent(key, k -> {
            Object v = raw(k);
            if (v != null && !(v instanceof Map)) throw bad(k, "must be a section (key: value lines), got " + v);
            return new ConfigMap((Map<String, Object>) v, source, prefix + k + ".");
        });
    }

    public String string(String key, String def) {
        Object v = raw(key);
        String s = v == null ? def : v.toString();
        resolved.put(key, s);
        return s;
    }

    public double number(String key, double def) {
        Object v = raw(key);
        double d;
        if (v == null) d = def;
        else if (v instanceof Number n) d = n.doubleValue();
        else if (v instanceof String s && s.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) d = Double.parseDouble(s);
        else throw bad(key, "must be a number, got '" + v + "'");
        if (!Double.isFinite(d)) throw bad(key, "must be finite, got " + d);
        resolved.put(key, d);
        return d;
    }

    public int integer(String key, int def) {
        long v = longInteger(key, def);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw bad(key, "is out of range, got " + v);
        resolved.put(key, (int) v);
        return (int) v;
    }

    public long longInteger(String key, long def) {
        Object v = raw(key);
        long i;
        if (v == null) i = def;
        else if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 9e18) i = n.longValue();
        else if (v instanceof String s && s.matches("[-+]?\\d{1,18}")) i = Long.parseLong(s);
        else throw bad(key, "must be an integer, got '" + v + "'");
        resolved.put(key, i);
        return i;
    }

    /** A list of integers ({@code [256, 256]} in YAML; a single integer is a list of one). */
    public int[] integers(String key, int[] def) {
        Object v = raw(key);
        int[] out;
        if (v == null) out = def.clone();
        else if (v instanceof List<?> l) {
            out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                Object x = l.get(i);
                if (!(x instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                    throw bad(key, "must be a list of integers, got '" + v + "'");
                }
                out[i] = n.intValue();
            }
        } else if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE) {
            out = new int[] {n.intValue()};
        } else if (v instanceof String s && s.matches("\\[?\\s*\\d{1,9}(\\s*,\\s*\\d{1,9})*\\s*]?")) { // --set k=64,64
            out = java.util.Arrays.stream(s.replaceAll("[\\[\\]\\s]", "").split(",")).mapToInt(Integer::parseInt).toArray();
        } else throw bad(key, "must be a list of integers, got '" + v + "'");
        List<Object> r = new ArrayList<>();
        for (int x : out) r.add(x);
        resolved.put(key, r);
        return out;
    }

    /** A list of strings ({@code [a, b]} in YAML, or "a,b" from --set); an empty list when absent and def is null. */
    public List<String> strings(String key, List<String> def) {
        Object v = raw(key);
        List<String> out = new ArrayList<>();
        if (v == null) {
            if (def != null) out.addAll(def);
        } else if (v instanceof List<?> l) {
            for (Object x : l) {
                if (!(x instanceof String str) || str.isBlank()) throw bad(key, "must be a list of names, got '" + v + "'");
                out.add(str.strip());
            }
        } else if (v instanceof String str) {
            for (String part : str.replaceAll("[\\[\\]]", "").split(",")) if (!part.isBlank()) out.add(part.strip());
        } else throw bad(key, "must be a list of names, got '" + v + "'");
        resolved.put(key, new ArrayList<>(out));
        return out;
    }

    public boolean bool(String key, boolean def) {
        Object v = raw(key);
        boolean b;
        if (v == null) b = def;
        else if (v instanceof Boolean x) b = x;
        else if ("true".equals(v) || "false".equals(v)) b = Boolean.parseBoolean((String) v);
        else throw bad(key, "must be true or false, got '" + v + "'");
        resolved.put(key, b);
        return b;
    }

    /** Throws naming every key that no reader asked for (recursively), with the file. */
    public void requireAllRead() {
        List<String> unknown = new ArrayList<>();
        collectUnknown(unknown);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(source + ": unknown key" + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown));
        }
    }

    private void collectUnknown(List<String> out) {
        for (String k : new TreeSet<>(values.keySet())) if (!read.contains(k)) out.add("'" + prefix + k + "'");
        for (ConfigMap s : sections.values()) s.collectUnknown(out);
    }

    /** Every value as read, defaults included, sections nested (what the run directory records). */
    public Map<String, Object> resolved() {
        Map<String, Object> out = new LinkedHashMap<>(resolved);
        for (var e : sections.entrySet()) out.put(e.getKey(), e.getValue().resolved());
        return out;
    }

    /**
     * {@code over} laid over {@code base}: sections merge key by key (recursively), any other value of {@code over}
     * replaces the base's. Neither input is changed.
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        for (var e : over.entrySet()) {
            Object b = out.get(e.getKey());
            if (b instanceof Map<?, ?> bm && e.getValue() instanceof Map<?, ?> om) {
                out.put(e.getKey(), merge((Map<String, Object>) bm, (Map<String, Object>) om));
            } else {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /**
     * Applies {@code key.path=value} overrides (from {@code --set}) to a nested map in place; values are parsed as
     * YAML scalars would be (numbers, true/false, else strings).
     */
    @SuppressWarnings("unchecked")
    public static void override(Map<String, Object> root, String assignment) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("--set expects key=value, got '" + assignment + "'");
        String[] path = assignment.substring(0, eq).trim().split("\\.", -1);
        for (String part : path) {
            if (part.isBlank()) throw new IllegalArgumentException("--set " + assignment + ": empty key in '" + assignment.substring(0, eq) + "'");
        }
        String text = assignment.substring(eq + 1).trim();
        Map<String, Object> m = root;
        for (int i = 0; i < path.length - 1; i++) {
            Object next = m.get(path[i]);
            if (next == null) {
                next = new LinkedHashMap<String, Object>();
                m.put(path[i], next);
            }
            if (!(next instanceof Map)) throw new IllegalArgumentException("--set " + assignment + ": '" + path[i] + "' is not a section");
            m = (Map<String, Object>) next;
        }
        Object v;
        if (text.equals("true") || text.equals("false")) v = Boolean.parseBoolean(text);
        else if (text.matches("[-+]?\\d{1,18}")) v = Long.parseLong(text);
        else if (text.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?")) v = Double.parseDouble(text);
        else v = text;
        m.put(path[path.length - 1], v);
    }
}
