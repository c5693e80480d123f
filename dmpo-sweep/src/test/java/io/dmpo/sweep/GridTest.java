package io.dmpo.sweep;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.dmpo.cli.Configs;
import io.dmpo.train.ConfigMap;
import io.dmpo.train.FinetuneConfig;
import io.dmpo.train.PretrainConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Grid files: expansion order, run names, the --set assignments of each cell, and one-line errors. */
class GridTest {
    @TempDir
    Path home;

    private Path grid(String text) throws Exception {
        for (String a : List.of("meanflow-disp", "reflow")) {
            Files.createDirectories(home.resolve("configs/hopper"));
            Files.writeString(home.resolve("configs/hopper/" + a + ".yaml"), "algorithm: meanflow\n");
        }
        Path g = home.resolve("g.yaml");
        Files.writeString(g, text);
        return g;
    }

    @Test
    void tasksTimesAlgorithmsTimesAxesTimesSeedsInFileOrder() throws Exception {
        Grid g = Grid.read(grid("""
                tasks: [hopper]
                algorithms: [meanflow-disp, reflow]
                seeds: [0, 1]
                threads: 2
                axes:
                  dispersive.weight: [0.1, 0.5]
                set: {train: {epochs: 3}}
                eval: {steps: [1, 4], episodes: 5}
                finetune: {config: configs/hopper/reflow.yaml, set: {iterations: 2}}
                """), home);
        assertEquals("g", g.name());
        assertEquals(List.of("hopper-meanflow-disp-dispersive.weight=0.1-s0", "hopper-meanflow-disp-dispersive.weight=0.1-s1",
                "hopper-meanflow-disp-dispersive.weight=0.5-s0", "hopper-meanflow-disp-dispersive.weight=0.5-s1",
                "hopper-reflow-dispersive.weight=0.1-s0", "hopper-reflow-dispersive.weight=0.1-s1",
                "hopper-reflow-dispersive.weight=0.5-s0", "hopper-reflow-dispersive.weight=0.5-s1"),
                g.cells().stream().map(Grid.Cell::name).toList());
        Grid.Cell c = g.cells().get(3);
        assertEquals(1, c.seed());
        assertEquals(List.of("train.epochs=3", "threads=2", "dispersive.weight=0.5"), c.sets());
        assertEquals(2, c.threads());
        assertEquals(home.resolve("configs/hopper/meanflow-disp.yaml").toString(), c.config());
        assertEquals(List.of(1, 4), c.eval().steps());
        assertEquals(5, c.eval().episodes());
        assertEquals(10, c.eval().envs());
        assertEquals(List.of("iterations=2", "threads=2"), c.finetune().sets());
    }

    @Test
    void badGridsNameTheProblem() throws Exception {
        String[][] cases = {
                {"tasks: [hopper]\n", "algorithms must be a non-empty list"},
                {"tasks: [hopper]\nalgorithms: [flowmatch]\n", "no such file"},
                {"tasks: [hopper]\nalgorithms: [reflow]\nseeds: [0, 0]\n", "seeds repeat"},
                {"tasks: [hopper]\nalgorithms: [reflow]\nseeds: [0.5]\n", "seeds must be integers"},
                {"tasks: [hopper]\nalgorithms: [reflow]\nset: {seed: 3}\n", "grid's own keys"},
                {"tasks: [hopper]\nalgorithms: [reflow]\naxes: {seed: [1]}\n", "use 'seeds'"},
                {"tasks: [hopper]\nalgorithms: [reflow]\naxes: {train.lr: []}\n", "non-empty list"},
                {"tasks: [hopper]\nalgorithms: [reflow]\neval: {episode: 3}\n", "unknown key 'episode'"},
                {"tasks: [hopper]\nalgorithms: [reflow]\neval: {steps: [0]}\n", "K >= 1"},
                {"tasks: [hopper]\nalgorithms: [reflow]\nfinetune: {set: {iterations: 1}}\n", "finetune.config"},
                {"configs: [configs/hopper/reflow.yaml, configs/hopper/reflow.yaml]\n", "share the directory"},
                {"configs: [configs/hopper/reflow.yaml]\ntasks: [hopper]\n", "not both"},
                {"configs: [configs/hopper/reflow.yaml]\nthreads: 1.5\n", "threads must be an integer"},
                {"configs: [configs/hopper/reflow.yaml]\nname: [x]\n", "name must be"},
                {"configs: [configs/hopper/reflow.yaml]\nfinetune: {config: configs/hopper/reflow.yaml, set: {threads: 2}}\n", "grid's own"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Grid.read(grid(c[0]), home), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    /**
     * Every bundled grid (experiments/*.yaml with a grid's keys) expands, and every cell's config with the cell's
     * assignments reads strictly — a typo in an axis key or value fails here, not an hour into a sweep.
     */
    @Test
    void everyBundledGridsCellsReadAsConfigs() throws Exception {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        List<Path> grids;
        try (Stream<Path> s = Files.list(repo.resolve("experiments"))) {
            grids = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(grids.size() >= 5, grids.toString());
        for (Path file : grids) {
            Grid g = Grid.read(file, repo);
            assertFalse(g.cells().isEmpty(), file.toString());
            for (Grid.Cell c : g.cells()) {
                String where = file.getFileName() + " " + c.name();
                PretrainConfig.from(new ConfigMap(Configs.read(Path.of(c.config()), c.sets()), where));
                if (c.finetune() != null) {
                    FinetuneConfig.from(new ConfigMap(Configs.read(repo.resolve(c.finetune().config()), c.finetune().sets()), where + " finetune"));
                }
            }
        }
    }
}
