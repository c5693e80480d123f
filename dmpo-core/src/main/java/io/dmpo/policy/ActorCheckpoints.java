package io.dmpo.policy;

import io.dmpo.io.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Saving and loading MeanFlow actor weights (safetensors with our documented parameter names, PyTorch layouts). */
public final class ActorCheckpoints {
    private ActorCheckpoints() {}

    public static final String KIND_KEY = "dmpo.kind";
    public static final String STATE_ACTOR = "meanflow_state_actor";
    /** Largest observation or action-chunk size a state actor file may declare (humanoid's obs is 376). */
    static final long MAX_DIM = 1 << 16;

    /** Writes the actor's weights atomically, with its kind and the caller's provenance metadata. */
    public static void save(Path file, MeanFlowActor actor, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new java.util.LinkedHashMap<>(metadata);
        meta.put(KIND_KEY, STATE_ACTOR);
        meta.put("obs_dim", Integer.toString(actor.obsDim));
        meta.put("action_dim", Integer.toString(actor.actionDim));
        SafeTensors.saveParams(file, actor.params(), meta);
    }

    /**
     * Loads a state actor; its observation and action-chunk sizes are read from the weight shapes
     * ({@code cond.fc1.weight} is [64, obs], {@code head.out.weight} is [Ta·Da, 512]). Any missing, extra or
     * mis-shaped tensor is an error naming the file.
     */
    public static MeanFlowActor loadStateActor(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        SafeTensors.Entry enc = st.tensors().get("cond.fc1.weight"), out = st.tensors().get("head.out.weight");
        if (enc == null || out == null || enc.shape().length != 2 || out.shape().length != 2) {
            throw new SafeTensors.SafeTensorsException(file + ": not a MeanFlow state actor (needs cond.fc1.weight and head.out.weight)");
        }
        long obs = enc.shape()[1], act = out.shape()[0];
        if (obs < 1 || obs > MAX_DIM || act < 1 || act > MAX_DIM) {
            throw new SafeTensors.SafeTensorsException(file + ": implausible actor sizes (obs " + obs + ", action chunk "
                    + act + "; each must be in [1, " + MAX_DIM + "])");
        }
        MeanFlowActor actor = MeanFlowActor.state((int) obs, (int) act);
        SafeTensors.loadParams(st, actor.params(), file.toString());
        return actor;
    }
}
