package io.dmpo.mujoco;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Simulation state (mjData*) for one model; confined to one thread at a time. The arrays below are views of the
 * native arrays (their addresses do not change over the life of an mjData). Close it (or let the Cleaner free it).
 */
public final class MjData implements AutoCloseable {
    private final MjModel model;
    final MemorySegment ptr;
    private final Cleaner.Cleanable cleanable;
    /** Views of the native arrays. */
    public final MemorySegment qpos, qvel, ctrl, qfrcActuator, cinert, cvel, cfrcExt, xpos, xipos, act;
    /** Views for manipulation: body orientations, site frames, bias forces (gravity + Coriolis), applied forces. */
    public final MemorySegment xquat, xmat, siteXpos, siteXmat, qfrcBias, qfrcApplied;
    private boolean closed;

    private static final class Free implements Runnable {
        final MemorySegment ptr;
        final MjModel.Handle model;

        Free(MemorySegment ptr, MjModel.Handle model) {
            this.ptr = ptr;
            this.model = model;
        }

        @Override
        public void run() {
            try {
                MuJoCo.N.MJ_DELETE_DATA.invokeExact(ptr);
            } catch (Throwable t) {
                throw MuJoCo.rethrow(t);
            } finally {
                model.release();
            }
        }
    }

    MjData(MjModel model, MjModel.Handle handle) {
        this.model = model;
        MemorySegment raw;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            int rc = (int) MuJoCo.N.SHIM_MAKE_DATA.invokeExact(model.ptr, out);
            raw = out.get(ADDRESS, 0);
            if (rc != 0 || raw.address() == 0) throw new MujocoException("mj_makeData failed: " + MuJoCo.lastError());
        } catch (MujocoException e) {
            throw e;
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
        ptr = raw.reinterpret(MjLayout.SIZEOF_MJDATA);
        cleanable = MjModel.CLEANER.register(this, new Free(raw, handle));
        qpos = arr(MjLayout.D_qpos, model.nq);
        qvel = arr(MjLayout.D_qvel, model.nv);
        ctrl = arr(MjLayout.D_ctrl, model.nu);
        act = arr(MjLayout.D_act, model.na);
        qfrcActuator = arr(MjLayout.D_qfrc_actuator, model.nv);
        cinert = arr(MjLayout.D_cinert, 10L * model.nbody);
        cvel = arr(MjLayout.D_cvel, 6L * model.nbody);
        cfrcExt = arr(MjLayout.D_cfrc_ext, 6L * model.nbody);
        xpos = arr(MjLayout.D_xpos, 3L * model.nbody);
        xipos = arr(MjLayout.D_xipos, 3L * model.nbody);
        xquat = arr(MjLayout.D_xquat, 4L * model.nbody);
        xmat = arr(MjLayout.D_xmat, 9L * model.nbody);
        int nsite = model.sizeField("nsite");
        siteXpos = arr(MjLayout.D_site_xpos, 3L * nsite);
        siteXmat = arr(MjLayout.D_site_xmat, 9L * nsite);
        qfrcBias = arr(MjLayout.D_qfrc_bias, model.nv);
        qfrcApplied = arr(MjLayout.D_qfrc_applied, model.nv);
    }

    /**
     * The translational and rotational Jacobians of site {@code site} at the current state (mj_jacSite; call after a
     * forward or step): {@code jacp} and {@code jacr} are 3 × nv row-major.
     */
    public void jacobianSite(int site, double[] jacp, double[] jacr) {
        int nv = model.nv;
        if (jacp.length != 3 * nv || jacr.length != 3 * nv) throw new IllegalArgumentException("Jacobians must be 3 x nv = " + 3 * nv);
        if (jacobian == null) {
            jacobian = Arena.ofAuto().allocate(6L * nv * 8, 8);
            jacobianRot = jacobian.asSlice(3L * nv * 8); // kept: a slice per call is an allocation per control step
        }
        try {
            MuJoCo.N.MJ_JAC_SITE.invokeExact(model.ptr, ptr, jacobian, jacobianRot, site);
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
        MemorySegment.copy(jacobian, JAVA_DOUBLE, 0, jacp, 0, 3 * nv);
        MemorySegment.copy(jacobian, JAVA_DOUBLE, 3L * nv * 8, jacr, 0, 3 * nv);
    }

    private MemorySegment jacobian, jacobianRot;

    private MemorySegment arr(long field, long n) {
        return ptr.get(ADDRESS, field).reinterpret(n * 8);
    }

    public MjModel model() {
        return model;
    }

    /** {@code n} calls of mj_step, then mj_rnePostConstraint when {@code rnePost} (needed for cfrc_ext). */
    public void step(int n, boolean rnePost) {
        requireOpen();
        int rc;
        try {
            rc = (int) MuJoCo.N.SHIM_STEP.invokeExact(model.ptr, ptr, n, rnePost ? 1 : 0);
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
        if (rc != 0) throw new MujocoException.Instability("MuJoCo error in mj_step: " + MuJoCo.lastError());
    }

    public void forward(boolean rnePost) {
        requireOpen();
        int rc;
        try {
            rc = (int) MuJoCo.N.SHIM_FORWARD.invokeExact(model.ptr, ptr, rnePost ? 1 : 0);
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
        if (rc != 0) throw new MujocoException.Instability("MuJoCo error in mj_forward: " + MuJoCo.lastError());
    }

    /** mj_resetData: qpos = qpos0, qvel = 0, time = 0, ctrl = 0, warnings cleared. */
    public void reset() {
        requireOpen();
        int rc;
        try {
            rc = (int) MuJoCo.N.SHIM_RESET.invokeExact(model.ptr, ptr);
        } catch (Throwable t) {
            throw MuJoCo.rethrow(t);
        }
        if (rc != 0) throw new MujocoException("MuJoCo error in mj_resetData: " + MuJoCo.lastError());
    }

    public double time() {
        return ptr.get(JAVA_DOUBLE, MjLayout.D_time);
    }

    /** How many times MuJoCo raised warning {@code index} (MjLayout.WARN_*) since the last reset. */
    int warnings(int index) {
        return ptr.get(JAVA_INT, MjLayout.D_warning + index * MjLayout.SIZEOF_WARNINGSTAT + 4);
    }

    /** Whether mj_step had to reset an unstable state (bad qpos / qvel / qacc) since the last reset. */
    public boolean unstable() {
        return warnings(MjLayout.WARN_BADQACC) + warnings(MjLayout.WARN_BADQPOS) + warnings(MjLayout.WARN_BADQVEL) > 0;
    }

    /** Peak number of contacts / constraint rows used since the last reset (for sizing nconmax / njmax). */
    public int maxUseContacts() {
        return ptr.get(JAVA_INT, MjLayout.D_maxuse_con);
    }

    public int maxUseConstraints() {
        return ptr.get(JAVA_INT, MjLayout.D_maxuse_efc);
    }

    public int contactOverflows() {
        return warnings(1) + warnings(2); // mjWARN_CONTACTFULL, mjWARN_CNSTRFULL
    }

    public static double[] get(MemorySegment s) {
        return s.toArray(JAVA_DOUBLE);
    }

    public static void set(MemorySegment s, double[] v) {
        MemorySegment.copy(v, 0, s, JAVA_DOUBLE, 0, v.length);
    }

    /** A closed mjData's memory is freed: using it is an error here, never a native crash. */
    private void requireOpen() {
        if (closed) throw new IllegalStateException("this MjData is closed");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cleanable.clean();
        }
    }
}
