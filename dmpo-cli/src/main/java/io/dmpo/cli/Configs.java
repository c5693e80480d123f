package io.dmpo.cli;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** YAML config files (Jackson 3): one clear line for a missing, unreadable or malformed file. */
public final class Configs {
    private Configs() {}

    private static final YAMLMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /**
     * The file as a nested map with the {@code --set key.path=value} overrides applied. A file may start from another:
     * {@code extends: base.yaml} (a path relative to the file) takes every setting of the base and overrides what the
     * file itself sets, section by section (see docs/configs.md).
     */
    public static Map<String, Object> read(Path file, List<String> overrides) {
        Map<String, Object> m = readExtending(file, new java.util.ArrayList<>());
        for (String o : overrides) {
            try {
                io.dmpo.train.ConfigMap.override(m, o);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), 2);
            }
        }
        return m;
    }

    public static final String EXTENDS = "extends";

    private static Map<String, Object> readExtending(Path file, List<Path> chain) {
        Path norm = file.toAbsolutePath().normalize();
        if (chain.contains(norm)) throw new UserError(file + ": 'extends' forms a cycle (" + chain.get(0) + " ... " + file + ")", 2);
        chain.add(norm);
        Map<String, Object> m = readOne(file);
        Object base = m.remove(EXTENDS);
        if (base == null) return m;
        if (!(base instanceof String name) || name.isBlank()) throw new UserError(file + ": 'extends' must name a config file, got '" + base + "'", 2);
        Path parent = norm.getParent();
        Path basePath = parent.resolve(name);
        if (!Files.isRegularFile(basePath)) throw new UserError(file + ": extends '" + name + "': no such config file (" + basePath + ")", 2);
        return io.dmpo.train.ConfigMap.merge(readExtending(basePath, chain), m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readOne(Path file) {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such config file", 2);
        try {
            if (Files.readString(file).isBlank()) throw new UserError(file + ": is empty (a config is a set of key: value lines)", 2);
        } catch (java.io.IOException e) {
            throw new UserError(file + ": " + io.dmpo.io.AtomicFiles.describe(e), 2);
        }
        Object parsed;
        try {
            parsed = YAML.readValue(file.toFile(), Object.class);
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage();
            var loc = e.getLocation();
            throw new UserError(file + (loc != null && loc.getLineNr() > 0 ? ":" + loc.getLineNr() : "") + ": not valid YAML ("
                    + msg.lines().findFirst().orElse(msg).strip() + ")", 2);
        }
        if (parsed == null) return new LinkedHashMap<>();
        if (parsed instanceof Map<?, ?> map) return new LinkedHashMap<>((Map<String, Object>) map);
        throw new UserError(file + ": a config is a set of key: value lines, not " + parsed.getClass().getSimpleName(), 2);
    }

    /** A command's settings: the raw config map and where it came from (for error messages). */
    record Source(Map<String, Object> raw, String name) {}

    /**
     * The settings of a training command: with {@code --resume}, the config recorded in the run directory {@code out}
     * (which must be a run of {@code kind}; {@code fresh} names the options that may not be given then, non-null when
     * one was); otherwise the YAML file with the overrides and the seed applied.
     */
    @SuppressWarnings("unchecked")
    static Source forRun(String kind, boolean resume, Path out, Path config, List<String> overrides, Long seed, String fresh) {
        if (resume) {
            if (out == null) throw new UserError("--resume needs --out <run directory>", 2);
            if (fresh != null) throw new UserError("--resume continues the run with its recorded config; drop " + fresh, 2);
            Map<String, Object> rec;
            try {
                rec = io.dmpo.run.RunDirectory.readConfig(out);
            } catch (io.dmpo.run.RunException e) {
                throw new UserError(e.getMessage(), 2);
            }
            if (!kind.equals(rec.get("kind"))) throw new UserError(out + ": not a " + kind.replace("dmpo-", "") + " run", 2);
            return new Source(new LinkedHashMap<>((Map<String, Object>) rec.get("config")),
                    out.resolve(io.dmpo.run.RunDirectory.CONFIG).toString());
        }
        if (config == null) throw new UserError("--config <file.yaml> is required (or --resume --out <run>)", 2);
        Map<String, Object> raw = read(config, overrides);
        if (seed != null) raw.put("seed", seed);
        return new Source(raw, config.toString());
    }
}
