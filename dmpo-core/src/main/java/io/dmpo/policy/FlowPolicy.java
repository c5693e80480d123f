package io.dmpo.policy;

import io.dmpo.env.ObservationSpec;

import io.dmpo.data.MinMaxNormalizer;
import io.dmpo.nn.Init;
import io.dmpo.nn.Tensor;

import java.util.Map;
import java.util.SplittableRandom;

/**
 * A flow policy (MeanFlow, ReFlow or ShortCut — they share the network and the sampler, docs/algorithms.md, "Flow conventions"): min–max
 * normalization of observations, the K-step sampler ({@link MeanFlowSampler}, the encoder once per action),
 * de-normalization of the chunk and its first {@code actSteps} actions. {@link #sampleBatch} serves many envs at once.
 */
public final class FlowPolicy implements Policy {
    /** How the policy was made: architecture, chunking, algorithm and provenance (see {@link PolicyFile}). */
    public record Spec(String algorithm, int obsDim, int actDim, int horizon, int actSteps, int condSteps, int steps,
                       Architecture architecture, Map<String, Object> provenance) {
        public Spec {
            if (obsDim < 1 || actDim < 1 || horizon < 1 || condSteps < 1 || steps < 1) {
                throw new IllegalArgumentException("policy sizes must be >= 1 (obs " + obsDim + ", act " + actDim + ", horizon "
                        + horizon + ", cond_steps " + condSteps + ", steps " + steps + ")");
            }
            if (actSteps < 1 || actSteps > horizon) {
                throw new IllegalArgumentException("act_steps must be in [1, horizon = " + horizon + "], got " + actSteps);
            }
        }

        /** The layout of one observation the policy reads: its network's image (if any), then the low-dimensional rest. */
        public ObservationSpec observation() {
            Architecture a = architecture;
            int low = obsDim - a.imageSize();
            return a.pixel() ? new ObservationSpec(a.channels(), a.height(), a.width(), low) : ObservationSpec.state(obsDim);
        }
    }

    /**
     * The network: {@code state} ({@link MeanFlowActor#state(int, int, int, int, int, int, int)}: encoder MLP
     * [obs → condHidden → condDim]) or {@code pixel} ({@link MeanFlowActor#pixel}: light ViT + SpatialEmb over an
     * observation row [image channels·height·width in [0, 255] (CHW), proprio]). Time embeddings {@code timeDim}, head
     * width {@code hidden} with {@code blocks} residual blocks (the pixel actor's head is the one of docs/algorithms.md, "Networks").
     */
    public record Architecture(String kind, int condHidden, int condDim, int timeDim, int hidden, int blocks,
                               int channels, int height, int width) {
        public static final Architecture DEFAULT = new Architecture("state", 64, 16, 16, 512, 1, 0, 0, 0);

        public Architecture {
            if (!kind.equals("state") && !kind.equals("pixel")) throw new IllegalArgumentException("network kind must be state or pixel, got '" + kind + "'");
            if (kind.equals("pixel") && (channels < 1 || height < 8 || width < 8)) {
                throw new IllegalArgumentException("a pixel network needs channels >= 1 and height, width >= 8");
            }
        }

        public boolean pixel() {
            return kind.equals("pixel");
        }

        /** Image values per observation (0 for state networks). */
        public int imageSize() {
            return pixel() ? channels * height * width : 0;
        }

        public MeanFlowActor build(int obsInput, int chunk) {
            if (!pixel()) return MeanFlowActor.state(obsInput, chunk, condHidden, condDim, timeDim, hidden, blocks);
            int prop = obsInput - imageSize();
            if (prop < 0) throw new IllegalArgumentException("observations of " + obsInput + " values cannot hold a " + channels + "x" + height + "x" + width + " image");
            return MeanFlowActor.pixel(channels, height, width, prop, chunk, 0);
        }
    }

    private final Spec spec;
    private final MeanFlowActor actor;
    private final MinMaxNormalizer obsNorm, actNorm;

    public FlowPolicy(Spec spec, MeanFlowActor actor, MinMaxNormalizer obsNorm, MinMaxNormalizer actNorm) {
        if (spec.architecture().pixel() && spec.condSteps() != 1) throw new IllegalArgumentException("pixel policies use cond_steps 1");
        if (actor.obsDim != spec.obsDim() * spec.condSteps() || actor.actionDim != spec.actDim() * spec.horizon()) {
            throw new IllegalArgumentException("actor sizes (" + actor.obsDim + ", " + actor.actionDim + ") do not fit the spec");
        }
        if (obsNorm.dim() != spec.obsDim() - spec.architecture().imageSize() || actNorm.dim() != spec.actDim()) {
            throw new IllegalArgumentException("normalizer sizes (" + obsNorm.dim() + ", " + actNorm.dim() + ") do not fit the spec");
        }
        this.spec = spec;
        this.actor = actor;
        this.obsNorm = obsNorm;
        this.actNorm = actNorm;
    }

    public Spec spec() { return spec; }
    public MeanFlowActor actor() { return actor; }
    public MinMaxNormalizer obsNormalizer() { return obsNorm; }
    public MinMaxNormalizer actNormalizer() { return actNorm; }
    @Override public int obsDim() { return spec.obsDim(); }
    @Override public int actDim() { return spec.actDim(); }
    @Override public int condSteps() { return spec.condSteps(); }
    @Override public int actSteps() { return spec.actSteps(); }

    /** The normalized conditioning rows of a batch of histories ([B][condSteps][obsDim] raw → [B, condSteps·obsDim]). */
    public Tensor normalizedObservations(double[][][] histories) {
        int b = histories.length, c = spec.condSteps(), d = spec.obsDim();
        float[] x = new float[b * c * d];
        for (int i = 0; i < b; i++) copyHistory(histories[i], x, i * c * d);
        normalizeObservations(x, spec.architecture().imageSize(), obsNorm, d);
        return new Tensor(x, 0, b, c * d);
    }

    /**
     * Actions for a batch of histories with {@code steps} sampling steps and the given noise [B, horizon·actDim]:
     * returns [B][actSteps][actDim] env actions (the normalized chunk clipped to [−1, 1], de-normalized).
     */
    public double[][][] sampleBatch(double[][][] histories, Tensor noise, int steps) {
        Tensor chunk = MeanFlowSampler.sample(actor, normalizedObservations(histories), noise, steps);
        int b = histories.length, da = spec.actDim();
        float[] raw = new float[spec.actSteps() * da];
        double[][][] out = new double[b][spec.actSteps()][da];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < raw.length; k++) raw[k] = chunk.get(i, k);
            actNorm.unnormalize(raw);
            for (int s = 0; s < spec.actSteps(); s++) for (int j = 0; j < da; j++) out[i][s][j] = raw[s * da + j];
        }
        return out;
    }

    /** Checks one history (condSteps finite observations of obsDim values) and writes it as floats at {@code at}. */
    private void copyHistory(double[][] history, float[] out, int at) {
        int c = spec.condSteps(), d = spec.obsDim();
        if (history.length != c) throw new IllegalArgumentException("history has " + history.length + " observations, expected " + c);
        for (int k = 0; k < c; k++) {
            double[] o = history[k];
            if (o.length != d) throw new IllegalArgumentException("observation has " + o.length + " values, the policy expects " + d);
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(o[j])) throw new IllegalArgumentException("observation[" + j + "] is " + o[j]);
                out[at + k * d + j] = (float) o[j];
            }
        }
    }

    /**
     * Min–max normalizes the non-image columns of flat observation rows of {@code rowWidth} values in place: the first
     * {@code imageSize} values of each row are an image and pass raw (the pixel encoder takes [0, 255]).
     */
    public static void normalizeObservations(float[] rows, int imageSize, MinMaxNormalizer norm, int rowWidth) {
        if (imageSize == 0) {
            norm.normalize(rows);
            return;
        }
        float[] part = new float[rowWidth - imageSize];
        for (int at = 0; at < rows.length; at += rowWidth) {
            System.arraycopy(rows, at + imageSize, part, 0, part.length);
            norm.normalize(part);
            System.arraycopy(part, 0, rows, at + imageSize, part.length);
        }
    }

    /** Standard normal initial noise for {@code rows} samples. */
    public Tensor noise(int rows, SplittableRandom rng) {
        Tensor eps = Tensor.zeros(rows, actor.actionDim);
        for (int i = 0; i < eps.size(); i++) eps.data[i] = (float) Init.gaussian(rng);
        return eps;
    }

    /**
     * A control-loop handle for one thread: {@link Controller#act} writes the next actions into the caller's array and
     * allocates nothing per call (state and pixel actors; see {@link BatchOneSampler}). Close it to stop a pixel
     * encoder's helper threads.
     */
    public Controller controller() {
        return new Controller();
    }

    /**
     * See {@link #controller()}. Not thread-safe: one per control thread. {@link #act} is the three stages
     * {@link #prepare} (copy + normalize the history, draw the noise), {@link #infer} (the network) and {@link #actions}
     * (de-normalize), which a control loop may also call one by one to time them.
     */
    public final class Controller implements AutoCloseable {
        private final BatchOneSampler sampler = new BatchOneSampler(actor, spec.steps());
        private final float[] obs = new float[spec.obsDim() * spec.condSteps()], eps = new float[actor.actionDim],
                chunk = new float[actor.actionDim], executed = new float[spec.actSteps() * spec.actDim()];

        private Controller() {}

        /** As {@link FlowPolicy#act}, into {@code out} ([actSteps][actDim]). */
        public void act(double[][] history, SplittableRandom rng, double[][] out) {
            prepare(history, rng);
            infer();
            actions(out);
        }

        /** The network input: the history as floats, its non-image values min–max normalized; fresh noise. */
        public void prepare(double[][] history, SplittableRandom rng) {
            copyHistory(history, obs, 0);
            int img = spec.architecture().imageSize(), d = spec.obsDim();
            if (img == 0) {
                obsNorm.normalize(obs);
            } else {
                for (int at = 0; at < obs.length; at += d) obsNorm.normalizeRow(obs, at + img);
            }
            for (int i = 0; i < eps.length; i++) eps[i] = (float) Init.gaussian(rng);
        }

        /** The K-step chain on the prepared input. */
        public void infer() {
            sampler.sample(obs, eps, chunk);
        }

        /** The executed part of the last chunk as env actions. */
        public void actions(double[][] out) {
            System.arraycopy(chunk, 0, executed, 0, executed.length);
            actNorm.unnormalize(executed);
            int da = spec.actDim();
            for (int s = 0; s < spec.actSteps(); s++) for (int j = 0; j < da; j++) out[s][j] = executed[s * da + j];
        }

        /**
         * The whole last chunk (horizon × actDim, of which the first actSteps rows are executed) as env actions, into
         * {@code out} (horizon·actDim values, row-major).
         */
        public void chunk(float[] out) {
            if (out.length != chunk.length) throw new IllegalArgumentException("a chunk has " + chunk.length + " values, got room for " + out.length);
            System.arraycopy(chunk, 0, out, 0, chunk.length);
            actNorm.unnormalize(out);
        }

        @Override
        public void close() {
            sampler.close();
        }
    }

    @Override
    public double[][] act(double[][] history, SplittableRandom rng) {
        return sampleBatch(new double[][][] {history}, noise(1, rng), spec.steps())[0];
    }
}
