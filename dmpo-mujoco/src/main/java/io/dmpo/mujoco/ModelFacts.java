package io.dmpo.mujoco;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The physical parameters of a compiled model that decide its trajectories, as a flat list of facts
 * ({@code geom 3 foot_geom friction = 2 0.005 0.0001}). Two models with equal facts simulate alike for the same state
 * and action sequence: this is how our task models are held to Gymnasium's (the reference table in the tests, and
 * {@code dmpo env compare} against any MJCF file). Facts are read from the compiled mjModel, never from the XML, so
 * defaults, classes and inertia-from-geoms are all resolved by MuJoCo itself.
 */
public final class ModelFacts {
    private ModelFacts() {}

    /** One fact: the values of {@code field} for object {@code index} (named {@code name}) of a {@code kind}. */
    public record Fact(String kind, int index, String name, String field, double[] values) {
        /** Identity of the fact regardless of names: kind, index, field. */
        public String key() {
            return kind + " " + index + " " + field;
        }

        /** One tab-separated line: kind, index, name, field, values. */
        public String line() {
            StringBuilder b = new StringBuilder().append(kind).append('\t').append(index).append('\t')
                    .append(name == null || name.isEmpty() ? "-" : name).append('\t').append(field).append('\t');
            for (int i = 0; i < values.length; i++) b.append(i == 0 ? "" : " ").append(format(values[i]));
            return b.toString();
        }
    }

    /** Per-object fields compared, by object kind (size field {@code n<kind>}). */
    private static final String[][] FIELDS = {
            {"body", "body_parentid", "body_mass", "body_inertia", "body_pos", "body_quat", "body_ipos", "body_iquat"},
            {"jnt", "jnt_type", "jnt_bodyid", "jnt_limited", "jnt_range", "jnt_stiffness", "jnt_pos", "jnt_axis", "qpos0:jnt"},
            {"dof", "dof_damping", "dof_armature", "dof_frictionloss"},
            {"geom", "geom_type", "geom_bodyid", "geom_contype", "geom_conaffinity", "geom_condim", "geom_priority",
                    "geom_friction", "geom_solmix", "geom_solref", "geom_solimp", "geom_margin", "geom_gap", "geom_size",
                    "geom_pos", "geom_quat"},
            {"tendon", "tendon_adr", "tendon_num", "tendon_limited", "tendon_range", "tendon_stiffness", "tendon_damping",
                    "tendon_frictionloss", "tendon_lengthspring"},
            {"wrap", "wrap_type", "wrap_objid", "wrap_prm"},
            {"pair", "pair_geom1", "pair_geom2", "pair_friction", "pair_solref", "pair_solimp", "pair_margin"},
            {"exclude", "exclude_signature"},
            {"eq", "eq_type", "eq_obj1id", "eq_obj2id", "eq_active", "eq_solref", "eq_solimp", "eq_data"},
            {"actuator", "actuator_trntype", "actuator_trnid", "actuator_gear", "actuator_ctrllimited", "actuator_ctrlrange",
                    "actuator_forcelimited", "actuator_forcerange", "actuator_gaintype", "actuator_gainprm",
                    "actuator_biastype", "actuator_biasprm", "actuator_dyntype"},
    };

    private static final String[] OPTION_SCALARS = {"timestep", "impratio", "density", "viscosity", "integrator", "cone",
            "jacobian", "solver", "iterations", "disableflags", "enableflags"};
    private static final String[] OPTION_VECTORS = {"gravity", "wind", "o_solref", "o_solimp"};

    /** The facts of a compiled model, in a fixed order. */
    public static List<Fact> of(MjModel m) {
        List<Fact> out = new ArrayList<>();
        String[] sizes = {"nq", "nv", "nu", "na", "nbody", "njnt", "ngeom", "ntendon", "nwrap", "npair", "nexclude", "neq"};
        double[] sizeValues = new double[sizes.length];
        for (int i = 0; i < sizes.length; i++) sizeValues[i] = m.sizeField(sizes[i]);
        out.add(new Fact("size", 0, "-", String.join(",", sizes), sizeValues));
        for (String s : OPTION_SCALARS) out.add(new Fact("option", 0, "-", s, new double[] {m.option(s)}));
        for (String s : OPTION_VECTORS) out.add(new Fact("option", 0, "-", s, m.optionVector(s)));
        for (String[] kindFields : FIELDS) {
            String kind = kindFields[0];
            int count = m.sizeField(switch (kind) { case "dof" -> "nv"; case "actuator" -> "nu"; default -> "n" + kind; });
            String[] names = switch (kind) {
                case "dof" -> dofNames(m);
                case "wrap" -> new String[count];
                default -> m.names(kind);
            };
            for (int f = 1; f < kindFields.length; f++) {
                String field = kindFields[f];
                double[] all;
                int cols;
                int[] starts = null;
                if (field.equals("qpos0:jnt")) { // a joint's initial coordinates (1, 4 or 7 of them)
                    all = m.array("qpos0");
                    starts = toInt(m.array("jnt_qposadr"));
                    cols = -1;
                } else {
                    all = m.array(field);
                    cols = m.columns(field);
                }
                int[] types = starts == null ? null : toInt(m.array("jnt_type"));
                for (int i = 0; i < count; i++) {
                    double[] v;
                    if (starts != null) {
                        int len = switch (types[i]) { case 0 -> 7; case 1 -> 4; default -> 1; }; // free, ball, slide/hinge
                        v = java.util.Arrays.copyOfRange(all, starts[i], starts[i] + len);
                    } else {
                        v = java.util.Arrays.copyOfRange(all, i * cols, (i + 1) * cols);
                    }
                    out.add(new Fact(kind, i, names[i] == null ? "" : names[i], field.replace(":jnt", ""), v));
                }
            }
        }
        return out;
    }

    /** A dof is named after its joint (with a suffix for multi-dof joints). */
    private static String[] dofNames(MjModel m) {
        String[] jnt = m.names("jnt");
        int[] dofJnt = toInt(m.array("dof_jntid"));
        String[] out = new String[dofJnt.length];
        for (int i = 0; i < out.length; i++) out[i] = jnt[dofJnt[i]];
        return out;
    }

    private static int[] toInt(double[] a) {
        int[] r = new int[a.length];
        for (int i = 0; i < a.length; i++) r[i] = (int) a[i];
        return r;
    }

    /** Shortest text that reads back as the same double (the table keeps full precision). */
    public static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v).toLowerCase(Locale.ROOT);
    }

    /**
     * Whether two value lists agree: relative tolerance {@code rtol} (plus the same as an absolute floor for values near 0).
     * Compiled inertias of equal geometry written differently (global vs local coordinates) differ in the last bits.
     */
    public static boolean close(double[] a, double[] b, double rtol) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) continue;
            double scale = Math.max(1.0, Math.max(Math.abs(a[i]), Math.abs(b[i])));
            if (!(Math.abs(a[i] - b[i]) <= rtol * scale)) return false;
        }
        return true;
    }

    /** The differences between two fact lists (matched by kind, index and field), one readable line each. */
    public static List<String> differences(List<Fact> ours, List<Fact> reference, double rtol) {
        var byKey = new java.util.LinkedHashMap<String, Fact>();
        for (Fact f : reference) byKey.put(f.key(), f);
        List<String> diffs = new ArrayList<>();
        var seen = new java.util.HashSet<String>();
        for (Fact f : ours) {
            Fact r = byKey.get(f.key());
            seen.add(f.key());
            if (r == null) {
                diffs.add("extra " + f.kind() + " " + f.index() + " (" + f.name() + ") " + f.field() + " = " + values(f.values()));
            } else if (!close(f.values(), r.values(), rtol)) {
                diffs.add(f.kind() + " " + f.index() + " (" + f.name() + (r.name().equals(f.name()) ? "" : " / reference " + r.name())
                        + ") " + f.field() + ": " + values(f.values()) + " vs reference " + values(r.values()));
            }
        }
        for (Fact r : reference) {
            if (!seen.contains(r.key())) {
                diffs.add("missing " + r.kind() + " " + r.index() + " (" + r.name() + ") " + r.field() + " = " + values(r.values()));
            }
        }
        return diffs;
    }

    private static String values(double[] v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length; i++) b.append(i == 0 ? "" : " ").append(format(v[i]));
        return b.toString();
    }

    /** Parses lines written by {@link Fact#line()} ({@code #} comments and blank lines skipped). */
    public static List<Fact> parse(List<String> lines, String source) {
        List<Fact> out = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] p = line.split("\t");
            if (p.length != 5) throw new IllegalArgumentException(source + ":" + n + ": expected 5 tab-separated columns");
            String[] vs = p[4].isBlank() ? new String[0] : p[4].trim().split(" ");
            double[] v = new double[vs.length];
            for (int i = 0; i < vs.length; i++) v[i] = Double.parseDouble(vs[i]);
            out.add(new Fact(p[0], Integer.parseInt(p[1]), p[2].equals("-") ? "" : p[2], p[3], v));
        }
        return out;
    }
}
