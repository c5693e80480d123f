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
final class Configs {
    private Configs() {}

    private static final YAMLMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** The file as a nested map with the {@code --set key.path=value} overrides applied. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> read(Path file, List<String> overrides) {
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
        Map<String, Object> m;
        if (parsed == null) m = new LinkedHashMap<>();
        else if (parsed instanceof Map<?, ?> map) m = new LinkedHashMap<>((Map<String, Object>) map);
        else throw new UserError(file + ": a config is a set of key: value lines, not " + parsed.getClass().getSimpleName(), 2);
        for (String o : overrides) {
            try {
                io.dmpo.train.ConfigMap.override(m, o);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), 2);
            }
        }
        return m;
    }
}
