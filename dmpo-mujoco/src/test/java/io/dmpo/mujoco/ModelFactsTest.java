package io.dmpo.mujoco;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Our five task models compile to Gymnasium v4's physics, bit for bit: every fact of {@link ModelFacts} (geom friction,
 * condim, contact bits, solver parameters, sizes and frames; joint ranges, stiffness, axes; dof damping, armature and
 * friction loss; body masses, inertias and frames; tendons; actuator gear, ctrl range, gains; the options) equals the
 * reference table made from Gymnasium's own model files ({@code src/test/resources/io/dmpo/mujoco/gymnasium-v4/*.tsv},
 * each citing its source file and commit). A future edit of a task model cannot drift without failing here.
 */
class ModelFactsTest {
    /** The fields the reference must cover for every task (the parameters that change trajectories). */
    private static final Set<String> REQUIRED = Set.of("geom_friction", "geom_condim", "geom_contype", "geom_conaffinity",
            "dof_damping", "dof_armature", "jnt_stiffness", "jnt_range", "body_mass", "body_inertia", "actuator_gear",
            "actuator_ctrlrange", "timestep", "integrator", "gravity");

    static List<ModelFacts.Fact> reference(String task) throws IOException {
        String resource = "gymnasium-v4/" + task + ".tsv";
        try (InputStream in = ModelFactsTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, "missing reference table " + resource);
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            return ModelFacts.parse(lines, resource);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hopper", "walker2d", "halfcheetah", "ant", "humanoid"})
    void taskModelEqualsGymnasiumBitForBit(String task) throws IOException {
        List<ModelFacts.Fact> ref = reference(task);
        Set<String> fields = new TreeSet<>();
        for (ModelFacts.Fact f : ref) fields.add(f.field());
        for (String required : REQUIRED) assertTrue(fields.contains(required), task + " reference lacks " + required);
        List<String> diffs = ModelFacts.differences(ModelFacts.of(Tasks.model(task)), ref, 0.0);
        assertEquals(List.of(), diffs, task + " differs from Gymnasium v4's model");
    }

    /** The comparison is not vacuous: each kind of edit the hardening issue found is reported. */
    @Test
    void comparisonReportsEachDriftTheIssueFound() throws IOException {
        String[][] edits = { // task, kind, object name, field, value index, new value
                {"hopper", "geom", "floor", "geom_friction", "0", "0.8"},
                {"walker2d", "geom", "floor", "geom_friction", "0", "1"},
                {"humanoid", "dof", "abdomen_z", "dof_damping", "0", "1"},
                {"ant", "geom", "torso_geom", "geom_conaffinity", "0", "1"},
                {"halfcheetah", "body", "bthigh", "body_mass", "0", "1.5"},
                {"hopper", "option", "", "timestep", "0", "0.001"},
        };
        for (String[] e : edits) {
            List<ModelFacts.Fact> ref = new ArrayList<>(reference(e[0]));
            boolean edited = false;
            for (int i = 0; i < ref.size(); i++) {
                ModelFacts.Fact f = ref.get(i);
                if (f.kind().equals(e[1]) && f.name().equals(e[2]) && f.field().equals(e[3])) {
                    double[] v = f.values().clone();
                    v[Integer.parseInt(e[4])] = Double.parseDouble(e[5]);
                    ref.set(i, new ModelFacts.Fact(f.kind(), f.index(), f.name(), f.field(), v));
                    edited = true;
                }
            }
            assertTrue(edited, "no fact " + String.join(" ", e));
            List<String> diffs = ModelFacts.differences(ModelFacts.of(Tasks.model(e[0])), ref, 0.0);
            assertEquals(1, diffs.size(), String.join(" ", e) + ": " + diffs);
            assertTrue(diffs.get(0).contains(e[3]), diffs.get(0));
        }
    }

    @Test
    void factsRoundTripThroughTheTableFormat() {
        List<ModelFacts.Fact> facts = ModelFacts.of(Tasks.model("humanoid"));
        List<String> lines = facts.stream().map(ModelFacts.Fact::line).toList();
        List<ModelFacts.Fact> back = ModelFacts.parse(lines, "memory");
        assertEquals(List.of(), ModelFacts.differences(facts, back, 0.0));
        assertThrows(IllegalArgumentException.class, () -> ModelFacts.parse(List.of("geom\t0\tfloor"), "bad"));
    }

    @Test
    void arraysByNameReadTheCompiledModel() {
        MjModel hopper = Tasks.model("hopper");
        double[] mass = hopper.array("body_mass");
        assertEquals(hopper.nbody, mass.length);
        assertEquals(0.0, mass[0]); // the world body
        // a capsule of radius 0.05 and half-length 0.2 at 1000 kg/m^3: pi r^2 (2h) + 4/3 pi r^3
        double torso = 1000 * (Math.PI * 0.05 * 0.05 * 0.4 + 4.0 / 3 * Math.PI * Math.pow(0.05, 3));
        assertEquals(torso, mass[hopper.bodyId("torso")], 1e-9);
        assertEquals(3, hopper.columns("geom_friction"));
        assertEquals(List.of("world", "torso", "thigh", "leg", "foot"), List.of(hopper.names("body")));
        assertArrayEquals(new double[] {0, 0, -9.81}, hopper.optionVector("gravity"));
        assertEquals(0.002, hopper.option("timestep"));
        assertThrows(IllegalArgumentException.class, () -> hopper.array("no_such_field"));
        assertThrows(IllegalArgumentException.class, () -> hopper.option("gravity"));
    }
}
