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
        MeanFlowActor actor = MeanFlowActor.state((int) enc.shape()[1], (int) out.shape()[0]);
        SafeTensors.loadParams(st, actor.params(), file.toString());
        return actor;
    }
}
