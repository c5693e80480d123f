/**
 * Offline datasets (docs/environments.md, "Data layouts"): the {@link io.dmpo.data.Dataset} interface, HDF5 layouts ({@link io.dmpo.data.D4rl}
 * read/write, {@link io.dmpo.data.Robomimic} read; h5py's enum booleans mapped), layout detection
 * ({@link io.dmpo.data.Datasets}), episode segmentation from terminals/timeouts, min–max normalization
 * ({@link io.dmpo.data.MinMaxNormalizer}) and the window sampler ({@link io.dmpo.data.WindowSampler}). Problems are
 * {@link io.dmpo.data.DataException}s whose message is one line naming the file and the field.
 */
package io.dmpo.data;
